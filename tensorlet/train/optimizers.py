"""TF 1.x optimizers (tf.train.*Optimizer): gradients, slots and one grouped update op per step.

`Optimizer` owns the loop (gradients, slot creation, grouping, the global step); a subclass
says which slots it keeps (`_create_slots`), which scalars it needs (`_prepare`) and which
update rule each variable gets (`_apply_dense`). The rules themselves are the shared ops of
tensorlet.ops.training, so Keras and tf.train run the same kernels.

In eager mode (TF 2's compat.v1 semantics) `loss` must be a callable: `compute_gradients`
runs it under a GradientTape (as it does a callable inside `tf.function`), and
`apply_gradients` (so `minimize`) updates the variables at once and returns None.
"""
import numbers

import numpy as np

from tensorlet.autodiff import gradients
from tensorlet.eager.context import shares_eager_state
from tensorlet.eager.tape import GradientTape
from tensorlet.framework.graph import (
    GraphKeys,
    Tensor,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from tensorlet.ops import array, math
from tensorlet.ops.control import group
from tensorlet.ops.state import Variable, trainable_variables
from tensorlet.ops.training import UpdateBatch

__all__ = [
    "AdadeltaOptimizer",
    "AdagradOptimizer",
    "AdamOptimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "Optimizer",
    "RMSPropOptimizer",
]


def check_hyper(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """Reject an out-of-range Python number early, naming it; tensors and callables pass."""
    if callable(value) or hasattr(value, "_as_graph_tensor") or isinstance(value, Tensor):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, a tensor or a callable, got "
                        f"{value!r}")
    bad = (not np.isfinite(value)
           or (low is not None and (value <= low if low_open else value < low))
           or (high is not None and (value >= high if high_open else value > high)))
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        raise ValueError(f"{owner}: {name} must be {' and '.join(x for x in (lo, hi) if x)}, "
                         f"got {value!r}")
    return value


class Optimizer:
    """Base class of the tf.train optimizers (TF 1.x graph semantics)."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}        # slot name -> {variable op: slot Variable}
        self._non_slots = {}    # (name, graph) -> Variable
        self._cast_cache = {}

    def get_name(self):
        return self._name

    # -- the loop --------------------------------------------------------------------------
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """compute_gradients + apply_gradients: the op that takes one training step (in
        eager mode: takes the step at once; `loss` must then be a callable)."""
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[v.name for _, v in grads_and_vars]} "
                f"and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """A list of (gradient or None, variable) pairs for `loss` (a tensor, or a callable
        returning it; in eager mode a callable, differentiated with a GradientTape)."""
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH. Not {gate_gradients}")
        graph = get_default_graph()
        if graph._eager or (callable(loss) and shares_eager_state(graph)):  # (tf.function)
            return _tape_gradients(loss, var_list, grad_loss)
        if callable(loss):
            loss = loss()
        loss = convert_to_tensor(loss)
        if not loss.dtype.is_floating:
            raise ValueError(f"Invalid type {loss.dtype.name} for {loss.name}, expected a "
                             "floating-point loss (float16, float32, float64).")
        if var_list is None:
            with loss.graph.as_default():
                var_list = trainable_variables()
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            _check_variable(v)
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op that applies the gradients (None ones skipped) and bumps `global_step`;
        in eager mode they are applied at once and None is returned."""
        pairs = []
        for g, v in tuple(grads_and_vars):
            _check_variable(v)
            if g is not None:
                g = convert_to_tensor(g)
                if g.dtype is not v.dtype:
                    what = "" if g._eager else f" {g.name}"
                    raise TypeError(f"{self._name}: gradient{what} is {g.dtype.name} but "
                                    f"variable {v.name} is {v.dtype.name}")
            pairs.append((g, v))
        if not pairs:
            raise ValueError("No variables provided.")
        var_list = [v for g, v in pairs if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[v.name for _, v in pairs]}.")
        graph = var_list[0].graph
        with graph.as_default():
            with graph.name_scope(""), graph.control_dependencies(None):
                self._create_slots(var_list)
            with name_scope(name, self._name) as scope:
                self._cast_cache = {}
                self._prepare()
                batch = UpdateBatch()
                for g, v in pairs:
                    if g is not None:
                        self._apply_dense(g, v, batch)
                update_ops = batch.build()
                if global_step is None:
                    train_op = self._finish(update_ops, scope)
                else:
                    if not isinstance(global_step, Variable):
                        raise TypeError(f"expected a tf.Variable as global_step, got "
                                        f"{type(global_step).__name__}")
                    with control_dependencies([self._finish(update_ops, "update")]):
                        train_op = global_step.assign_add(1, name=scope, read_value=False)
            if graph._eager:  # applied already; eager mode keeps no collections
                return None
            train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
            if train_op not in train_ops:
                train_ops.append(train_op)
        return train_op

    # -- hooks of the subclasses -----------------------------------------------------------
    def _create_slots(self, var_list):
        """Create the slot variables each variable needs (none by default)."""

    def _prepare(self):
        """Convert the hyper-parameters to tensors, once per apply_gradients call."""

    def _apply_dense(self, grad, var, batch):
        raise NotImplementedError(f"{type(self).__name__} must implement _apply_dense")

    def _finish(self, update_ops, name_scope):
        return group(*update_ops, name=name_scope)

    # -- slots -----------------------------------------------------------------------------
    def get_slot(self, var, name):
        """The slot variable `name` of `var`, or None."""
        return self._slots.get(name, {}).get(var.op)

    def get_slot_names(self):
        return sorted(self._slots)

    def variables(self):
        """The optimizer's slot and step variables in the current default graph, by name."""
        graph = get_default_graph()
        found = [v for (_, g), v in self._non_slots.items() if g is graph]
        found += [v for slots in self._slots.values() for v in slots.values() if v.graph is graph]
        return sorted(found, key=lambda v: v.name)

    def _get_or_make_slot(self, var, slot_name, fill_value=0.0):
        """The slot `slot_name` of `var` (named '<var>/<optimizer name>'), created once."""
        slots = self._slots.setdefault(slot_name, {})
        slot = slots.get(var.op)
        if slot is None:
            init = array.fill(var.shape.as_list(), np.asarray(fill_value, var.dtype.np))
            slot = slots[var.op] = Variable(init, trainable=False,
                                            name=f"{var.op.name}/{self._name}")
        return slot

    def _zeros_slot(self, var, slot_name):
        return self._get_or_make_slot(var, slot_name, 0.0)

    def _non_slot(self, name, initial_value, graph):
        """A per-graph state variable of the optimizer itself (e.g. Adam's beta1_power)."""
        key = (name, graph)
        v = self._non_slots.get(key)
        if v is None:
            value = initial_value() if callable(initial_value) else initial_value
            if isinstance(value, numbers.Real):
                value = np.float32(value)
            v = self._non_slots[key] = Variable(value, trainable=False, name=name)
        return v

    # -- scalars ---------------------------------------------------------------------------
    def _hyper_tensor(self, value, name):
        value = value() if callable(value) else value
        return convert_to_tensor(value, name=name)

    def _cast(self, t, dtype):
        """`t` as `dtype`, one cast per step and dtype (so the variables share one update op)."""
        key = (id(t), dtype)
        got = self._cast_cache.get(key)
        if got is None:  # keeps `t` alive, so its id is not reused (eager tensors) this step
            got = self._cast_cache[key] = (t, t if t.dtype is dtype else math.cast(t, dtype))
        return got[1]


def _tape_gradients(loss, var_list, grad_loss):
    """Eager `compute_gradients`: run the `loss` callable under a GradientTape watching
    `var_list` (default: the trainable variables it reads) and differentiate it."""
    if not callable(loss):
        raise RuntimeError("`loss` passed to Optimizer.compute_gradients should be a function "
                           "when eager execution is enabled.")
    if var_list is not None:
        var_list = list(var_list)
        for v in var_list:
            _check_variable(v)
    with GradientTape() as tape:
        if var_list:
            tape.watch(var_list)
        loss_value = convert_to_tensor(loss())
    if not loss_value.dtype.is_floating:
        raise ValueError(f"Invalid type {loss_value.dtype.name} for the loss, expected a "
                         "floating-point loss (float16, float32, float64).")
    if var_list is None:
        var_list = tape.watched_variables()
        for v in var_list:
            _check_variable(v)
    if not var_list:
        raise ValueError("No variables to optimize.")
    grads = tape.gradient(loss_value, var_list, output_gradients=grad_loss)
    return list(zip(grads, var_list))


def _check_variable(v):
    if not isinstance(v, Variable):
        raise TypeError(f"expected a tf.Variable to optimize, got {type(v).__name__}: {v!r}")
    if not v.dtype.is_floating:
        raise ValueError(f"Invalid type {v.dtype.name} for {v.name}, expected a floating-point "
                         "variable (float16, float32, float64).")


class GradientDescentOptimizer(Optimizer):
    """w -= learning_rate * g."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var, batch):
        batch.add("ApplyGradientDescent", grad, var, scalars=(self._cast(self._lr_t, var.dtype),))


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + g; w -= lr * accum (Nesterov: w -= lr * (g + momentum*accum))."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)
        self._momentum = check_hyper(name, "momentum", momentum, low=0)
        self._use_nesterov = bool(use_nesterov)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum")

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")
        self._momentum_t = self._hyper_tensor(self._momentum, "momentum")
        self._neg_lr = {}

    def _apply_dense(self, grad, var, batch):
        dt = var.dtype
        neg = self._neg_lr.get(dt)
        if neg is None:
            neg = self._neg_lr[dt] = math.negative(self._cast(self._lr_t, dt))
        batch.add("ApplyMomentum", grad, var, slots=(self.get_slot(var, "momentum"),),
                  scalars=(1, neg, self._cast(self._momentum_t, dt)),
                  use_nesterov=self._use_nesterov)


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba), bias correction folded into the step size, epsilon outside sqrt."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)
        self._beta1 = check_hyper(name, "beta1", beta1, low=0, high=1, high_open=True)
        self._beta2 = check_hyper(name, "beta2", beta2, low=0, high=1, high_open=True)
        self._epsilon = check_hyper(name, "epsilon", epsilon, low=0)

    def _create_slots(self, var_list):
        graph = var_list[0].graph
        self._non_slot("beta1_power", self._beta1, graph)
        self._non_slot("beta2_power", self._beta2, graph)
        for v in var_list:
            self._zeros_slot(v, "m")
            self._zeros_slot(v, "v")

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")
        self._beta1_t = self._hyper_tensor(self._beta1, "beta1")
        self._beta2_t = self._hyper_tensor(self._beta2, "beta2")
        self._epsilon_t = self._hyper_tensor(self._epsilon, "epsilon")

    def _powers(self):
        graph = get_default_graph()
        return self._non_slots[("beta1_power", graph)], self._non_slots[("beta2_power", graph)]

    def _apply_dense(self, grad, var, batch):
        dt = var.dtype
        b1p, b2p = self._powers()
        scalars = [self._cast(t, dt) for t in (self._lr_t, b1p.value(), b2p.value(),
                                               self._beta1_t, self._beta2_t, self._epsilon_t)]
        batch.add("ApplyAdam", grad, var,
                  slots=(self.get_slot(var, "m"), self.get_slot(var, "v")), scalars=scalars)

    def _finish(self, update_ops, name_scope):
        b1p, b2p = self._powers()
        with control_dependencies(update_ops):
            up1 = b1p.assign(math.multiply(b1p, self._cast(self._beta1_t, b1p.dtype)))
            up2 = b2p.assign(math.multiply(b2p, self._cast(self._beta2_t, b2p.dtype)))
        return group(*update_ops, up1, up2, name=name_scope)


class RMSPropOptimizer(Optimizer):
    """RMSProp with momentum; the mean-square slot starts at ones, epsilon inside the sqrt."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)
        self._decay = check_hyper(name, "decay", decay, low=0, high=1)
        self._momentum = check_hyper(name, "momentum", momentum, low=0)
        self._epsilon = check_hyper(name, "epsilon", epsilon, low=0)
        self._centered = bool(centered)

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, "rms", 1.0)
            if self._centered:
                self._zeros_slot(v, "mg")
            self._zeros_slot(v, "momentum")

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")
        self._decay_t = self._hyper_tensor(self._decay, "decay")
        self._momentum_t = self._hyper_tensor(self._momentum, "momentum")
        self._epsilon_t = self._hyper_tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var, batch):
        slots = [self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        if self._centered:
            slots.append(self.get_slot(var, "mg"))
        scalars = [self._cast(t, var.dtype) for t in
                   (self._lr_t, self._decay_t, self._momentum_t, self._epsilon_t)]
        batch.add("ApplyRMSProp", grad, var, slots=slots, scalars=scalars,
                  centered=self._centered, use_momentum=True)


class AdagradOptimizer(Optimizer):
    """accum += g^2; w -= lr * g / sqrt(accum); the accumulator starts at 0.1."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        super().__init__(use_locking, name)
        if isinstance(initial_accumulator_value, numbers.Real) and initial_accumulator_value <= 0:
            raise ValueError(f"initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, "accumulator", self._initial_accumulator_value)

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var, batch):
        batch.add("ApplyAdagrad", grad, var, slots=(self.get_slot(var, "accumulator"),),
                  scalars=(self._cast(self._lr_t, var.dtype), 0))


class AdadeltaOptimizer(Optimizer):
    """Adadelta (Zeiler): both accumulators start at zero; epsilon inside the square roots."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._learning_rate = check_hyper(name, "learning_rate", learning_rate, low=0)
        self._rho = check_hyper(name, "rho", rho, low=0, high=1)
        self._epsilon = check_hyper(name, "epsilon", epsilon, low=0)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum")
            self._zeros_slot(v, "accum_update")

    def _prepare(self):
        self._lr_t = self._hyper_tensor(self._learning_rate, "learning_rate")
        self._rho_t = self._hyper_tensor(self._rho, "rho")
        self._epsilon_t = self._hyper_tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var, batch):
        batch.add("ApplyAdadelta", grad, var,
                  slots=(self.get_slot(var, "accum"), self.get_slot(var, "accum_update")),
                  scalars=[self._cast(t, var.dtype)
                           for t in (self._lr_t, self._rho_t, self._epsilon_t)])
