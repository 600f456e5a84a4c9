"""Keras 3's optimizer base class, building graph ops: one class owns the loop (DESIGN.md 7).

`apply_gradients(zip(grads, vars))` is called once, while a training graph is built: it creates
the optimizer's variables in the gradients' graph (once; later calls reuse them), clips the
gradients, applies weight decay, asks each subclass's `update_step` for its rule, emits the
per-variable requests as a few grouped update ops (tensorlet.ops.training) and returns the op
that runs them and increments `iterations`.
"""
import numbers
import re
import warnings

import numpy as np

from tensorlet.eager.context import shares_eager_state as _eager_state
from tensorlet.eager.tensor import EagerTensor
from tensorlet.framework.graph import Tensor, control_dependencies, get_default_graph
from tensorlet.keras import _identifiers, backend, initializers
from tensorlet.keras.optimizers import schedules as _schedules
from tensorlet.ops import array, math, reduction
from tensorlet.ops.control import group
from tensorlet.ops.state import Variable
from tensorlet.ops.training import UpdateBatch, apply_update


class Optimizer:
    """Base class of the Keras optimizers: subclasses write `build` and `update_step`."""

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        cls = type(self).__name__
        if use_ema:
            raise NotImplementedError(f"{cls}: use_ema=True is not supported by tensorlet")
        if gradient_accumulation_steps:
            raise NotImplementedError(
                f"{cls}: gradient_accumulation_steps is not supported by tensorlet")
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm),
                           ("loss_scale_factor", loss_scale_factor)):
            if value is not None:
                _number(cls, arg, value, positive=True)
        if weight_decay is not None:
            _number(cls, "weight_decay", weight_decay)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received:"
                f" clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.name = name if name is not None else backend.unique_object_name(
            backend.to_snake_case(cls))
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._learning_rate = _check_learning_rate(cls, learning_rate)
        self.built = False
        self._graph = None
        self._scope = self._iterations = self._lr_var = None
        self._variables = []
        self._trainable_variables = []
        self._index = {}
        self._batch = None
        self._memo = {}
        self._exclude_ids, self._exclude_pattern = set(), None

    # -- state: iterations and learning rate, in the graph of the variables -------------------
    def _ensure_state(self, graph):
        """Create `iterations` (and the learning-rate variable) in `graph`, once."""
        if self._graph is graph or (_eager_state(self._graph) and _eager_state(graph)):
            return
        if self.built:
            raise ValueError(f"Optimizer {self.name!r} was built for variables of another graph;"
                             " create a new optimizer for these variables.")
        self._graph = graph
        with graph.as_default(), graph.name_scope(""), graph.control_dependencies(None), \
                graph.name_scope(self.name) as scope:
            self._scope = scope
            self._iterations = backend.KerasVariable(
                np.int64(0), path=scope + "iteration", name="iteration", trainable=False)
            self._variables = [self._iterations]
        self._lr_var = None
        if isinstance(self._learning_rate, numbers.Real):
            self._make_lr_var()

    def _make_lr_var(self):
        """The float learning rate as a variable (so setting it needs no new graph)."""
        graph = self._graph
        with graph.as_default(), graph.name_scope(self._scope), graph.control_dependencies(None):
            self._lr_var = backend.KerasVariable(
                np.float32(self._learning_rate), path=self._scope + "learning_rate",
                name="learning_rate", trainable=False)
        self._variables.insert(1, self._lr_var)

    def _state_graph(self):
        if self._graph is None:
            self._ensure_state(backend.get_graph())
        return self._graph

    @property
    def iterations(self):
        """The int64 step counter variable, incremented by each applied update."""
        self._state_graph()
        return self._iterations

    @property
    def variables(self):
        """iterations, the learning rate (when a float) and the slot variables, in Keras order."""
        self._state_graph()
        return list(self._variables)

    @property
    def learning_rate(self):
        """The learning-rate variable, or the schedule's tensor at `iterations` (built once
        per graph); at the top of a graph-mode program the schedule's current value."""
        graph = self._state_graph()
        if self._lr_var is not None:
            return self._lr_var
        if not isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            with graph.as_default():
                return self._learning_rate()
        cached = getattr(self, "_schedule_tensor", None)
        if cached is None or cached[0] is not graph:
            with graph.as_default():
                cached = self._schedule_tensor = (graph, self._learning_rate(self._iterations))
        if backend.at_top_of_program(graph):
            return EagerTensor(backend.get_value(cached[1]))
        return cached[1]

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if self._lr_var is not None:
                self._variables.remove(self._lr_var)
                self._lr_var = None
            return
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument.")
        value = _check_learning_rate(type(self).__name__, learning_rate)
        self._learning_rate = value
        if self._lr_var is not None:
            backend.set_value(self._lr_var, np.float32(value))
        elif self._graph is not None:
            self._make_lr_var()

    def _learning_rate_value(self):
        """The current float learning rate (the variable's value when it is readable)."""
        if self._lr_var is not None:
            try:
                return float(backend.get_value(self._lr_var))
            except ValueError:  # a user graph with no default session: the last value set
                pass
        return float(self._learning_rate)

    # -- building -----------------------------------------------------------------------------
    def build(self, variables):
        """Create the slot variables for `variables` (subclasses add theirs after calling this)."""
        variables = list(variables)
        if not variables:
            raise ValueError(f"{type(self).__name__}.build: no variables given")
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(f"Expected Keras/core variables to optimize, got {v!r}")
        self._ensure_state(variables[0].graph)
        self._trainable_variables = variables
        self._index = {v.op: i for i, v in enumerate(variables)}
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     name=None):
        """A non-trainable optimizer variable in the optimizer's graph and name scope."""
        graph = self._state_graph()
        init = initializers.get(initializer)
        dtype = backend.standardize_dtype(dtype)
        with graph.as_default(), graph.name_scope(self._scope), \
                graph.control_dependencies(None):
            var = backend.KerasVariable(init(shape, dtype), path=self._scope + (name or "var"),
                                        name=name, trainable=False)
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A variable shaped like `reference_variable`, named '<its path>_<name>'."""
        base = getattr(reference_variable, "path", None) or reference_variable.op.name
        slot = name or "var"
        name = base.replace("/", "_").replace(":", "_") + "_" + slot
        var = self.add_variable(reference_variable.shape.as_list(), initializer,
                                reference_variable.dtype, name=name)
        var.slot_of = (reference_variable, slot)  # for saving in Keras's variable order
        return var

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable (a list), or for a list of names a tuple of such lists, created
        interleaved per variable as Keras does."""
        names = [name] if isinstance(name, str) else list(name)
        inits = (list(initializer) if isinstance(initializer, (list, tuple))
                 else [initializer] * len(names))
        out = tuple([] for _ in names)
        for v in trainable_variables:
            for i, (n, init) in enumerate(zip(names, inits)):
                out[i].append(self.add_variable_from_reference(v, n, init))
        return out[0] if isinstance(name, str) else out

    def _get_variable_index(self, variable):
        return self._index[variable.op]

    # -- applying -----------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Build the update for (gradient, variable) pairs; returns the op that applies it."""
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, trainable_variables=None):
        """Build the update of `trainable_variables` by `grads`; returns the op (None if empty).

        Without variables, `grads` pair one-to-one with the variables the optimizer was built on.
        """
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the "
                                 f"gradients must match `optimizer.variables` one-to-one. "
                                 f"Received a list of {len(grads)} gradients, but the optimizer"
                                 f" is tracking {len(self._trainable_variables)} trainable "
                                 "variables.")
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables")
            if not self.built:
                self.build(variables)
            for v in variables:
                if v.op not in self._index:
                    raise ValueError(
                        f"Unknown variable: {v.name}. This optimizer can only be called for "
                        "the variables it was originally built with. When working with a new "
                        "set of variables, you should recreate a new optimizer instance.")
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        missing = [v.name for g, v in zip(grads, variables) if g is None]
        if not pairs:
            raise ValueError(f"No gradients provided for any variable: {missing}.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?", stacklevel=2)
        graph = self._graph
        if _eager_state(graph) and _eager_state(get_default_graph()):
            graph = get_default_graph()  # eager variables: update them where this runs
        with graph.as_default(), graph.name_scope(self._scope):
            grads = [self._as_gradient(g, v) for g, v in pairs]
            variables = [v for _, v in pairs]
            if self.loss_scale_factor is not None:
                grads = [math.truediv(g, self.loss_scale_factor) for g in grads]
            grads = self._clip_gradients(grads)
            self._memo = {}
            lr = self._current_learning_rate()
            decay = self._apply_weight_decay(grads, variables, lr)
            with control_dependencies([decay] if decay is not None else []):
                updates = self._backend_update_step(grads, variables, lr)
            with control_dependencies(updates):
                updates += [v.assign(v.constraint(v)).op for v in variables
                            if getattr(v, "constraint", None) is not None]
            with control_dependencies(updates):
                step = self._iterations.assign_add(1).op
            self._memo = {}
        return step

    def _as_gradient(self, g, v):
        g = g if isinstance(g, Tensor) else array.constant(np.asarray(g), dtype=v.dtype)
        if g.graph is not v.graph:
            raise ValueError(f"The gradient {g.name} and variable {v.name} are in different "
                             "graphs")
        return g if g.dtype is v.dtype else math.cast(g, v.dtype)

    def _current_learning_rate(self):
        lr = self.learning_rate
        return lr.value() if isinstance(lr, Variable) else lr

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        """Call `update_step` per variable and emit the requests as grouped update ops."""
        self._batch = UpdateBatch()
        try:
            for g, v in zip(grads, trainable_variables):
                self.update_step(g, v, learning_rate)
            return self._batch.build()
        finally:
            self._batch = None

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    # -- helpers for update_step ---------------------------------------------------------------
    def _update(self, op_type, gradient, variable, slots=(), scalars=(), **flags):
        """Request the update rule `op_type` for one variable (grouped with the others)."""
        if self._batch is not None:
            self._batch.add(op_type, gradient, variable, slots, scalars, **flags)
            return None
        return apply_update(op_type, [gradient], [variable], [slots], scalars, **flags)

    def _once(self, key, fn):
        """A tensor built once per apply() call (so all variables share one update op)."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def _cast(self, value, dtype):
        """A hyper-parameter (number, callable or tensor) as a `dtype` scalar, once per step."""
        if callable(value) and not isinstance(value, Tensor):
            value = value()
        if isinstance(value, numbers.Real):
            return value
        t = value.value() if isinstance(value, Variable) else value
        return self._once(("cast", id(t), dtype), lambda: math.cast(t, dtype))

    def _tensor(self, value, dtype):
        """A hyper-parameter as a `dtype` scalar tensor (for graph math on it), once per step."""
        v = self._cast(value, dtype)
        if isinstance(v, numbers.Real):
            return self._once(("const", v, dtype), lambda: array.constant(v, dtype=dtype))
        return v

    def _local_step(self, dtype):
        """iterations + 1 as `dtype` (the step being taken)."""
        return self._once(("step", dtype), lambda: math.cast(
            math.add(self._iterations.value(), 1), dtype))

    # -- clipping and weight decay ---------------------------------------------------------------
    def _clip_gradients(self, grads):
        if self.clipnorm:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            v = self.clipvalue
            return [math.minimum(math.maximum(g, -v), v) for g in grads]
        return grads

    def _clip_by_norm(self, g):
        l2sum = reduction.reduce_sum(math.square(g), keepdims=True)
        pred = math.greater(l2sum, 0)
        safe = math.where(pred, l2sum, array.ones_like(l2sum))
        l2norm = math.where(pred, math.sqrt(safe), l2sum)
        return math.truediv(math.multiply(g, self.clipnorm), math.maximum(l2norm, self.clipnorm))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for these variables, or those whose name contains a var_names item."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(map(re.escape, var_names))) \
            if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        return not (self._exclude_pattern is not None
                    and self._exclude_pattern.search(variable.name))

    def _apply_weight_decay(self, grads, variables, lr):
        """One op: w -= w * weight_decay * lr for each decayed variable (before the update)."""
        if self.weight_decay is None:
            return None
        batch = UpdateBatch()
        for g, v in zip(grads, variables):
            if self._use_weight_decay(v):
                batch.add("ApplyWeightDecay", g, v, (),
                          (self._cast(lr, v.dtype), self.weight_decay))
        ops = batch.build()
        return group(*ops) if len(ops) > 1 else (ops[0] if ops else None)

    # -- state as arrays (saving) ------------------------------------------------------------------
    def set_weights(self, weights):
        """Set every optimizer variable (in `variables` order) from a list of arrays."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` "
                             "to create the optimizer weights before calling `set_weights()`.")
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(f"Optimizer {self.name!r} has {len(self._variables)} variables, "
                             f"got {len(weights)} weights")
        for v, w in zip(self._variables, weights):
            if tuple(v.shape.as_list()) != np.shape(w):
                raise ValueError(f"Optimizer variable {v.name} has shape {tuple(v.shape)} not "
                                 f"compatible with provided weight shape {np.shape(w)}.")
        backend.batch_set_value(zip(self._variables, weights))

    def save_own_variables(self, store):
        """Write each variable's value to `store` under '0', '1', ... (Keras's layout)."""
        for i, value in enumerate(backend.batch_get_value(self.variables)):
            store[str(i)] = value

    def load_own_variables(self, store):
        """Read the values `save_own_variables` wrote; skipped with a warning on a mismatch."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it "
                          f"has {len(variables)} variables whereas the saved optimizer has "
                          f"{len(store.keys())} variables.", stacklevel=2)
            return
        backend.batch_set_value((v, store[str(i)]) for i, v in enumerate(variables))

    def finalize_variable_values(self, var_list):
        """Called by fit at the end of training; only an EMA optimizer (not supported by
        tensorlet) changes the model's variables here, so there is nothing to do."""

    # -- configuration ---------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        elif isinstance(lr, numbers.Real):
            lr = self._learning_rate_value()
        else:
            lr = _identifiers.serialize_object(lr, "builtins")
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def clip_by_global_norm(grads, clip_norm):
    """Scale all gradients by min(1, clip_norm / global norm) (NaN when the norm is not finite)."""
    sq = [reduction.reduce_sum(math.square(g)) for g in grads]
    norm = math.sqrt(math.add_n(sq) if len(sq) > 1 else sq[0])
    scale = math.multiply(math.minimum(math.truediv(1.0, norm), 1.0 / clip_norm), clip_norm)
    scale = math.add(scale, math.subtract(norm, norm))
    return [math.multiply(g, math.cast(scale, g.dtype)) for g in grads]


def _number(owner, name, value, positive=False, low=None, high=None):
    """A Python number checked against its range; ValueError naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{owner}: `{name}` must be a finite number, got {name}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"{owner}: `{name}` must be > 0, got {name}={value!r}")
    if low is not None and value < low:
        raise ValueError(f"{owner}: `{name}` must be >= {low}, got {name}={value!r}")
    if high is not None and value > high:
        raise ValueError(f"{owner}: `{name}` must be <= {high}, got {name}={value!r}")
    return value


def _check_learning_rate(owner, lr):
    if isinstance(lr, _schedules.LearningRateSchedule) or callable(lr):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, "
            "or a callable (that takes in the current iteration value and returns the "
            f"corresponding learning rate value). Received instead: learning_rate={lr!r}")
    _number(owner, "learning_rate", lr, low=0)
    return float(lr)


def hyper(owner, name, value, low=None, high=None):
    """A Keras hyper-parameter: a callable/tensor passes, a number is range-checked."""
    if callable(value) or isinstance(value, (Tensor, Variable)):
        return value
    return _number(owner, name, value, low=low, high=high)
