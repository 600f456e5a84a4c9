"""Variables: per-session state read by VariableV2 and written by the Assign family (TF 1.x)."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import (GraphKeys, TensorLike, add_to_collections,
                                       convert_to_tensor, get_default_graph, name_scope)
from tensorlet.framework.shapes import TensorShape
from .base import apply, declare

# -- Ops ------------------------------------------------------------------------------------


def _var_spec(inputs, attrs):
    return [(attrs["shape"], attrs["dtype"])]


def _var_kernel(ctx, attrs):
    return ctx.read(attrs["var_name"])


# A consumer with control dependencies reads the value after them (read_at_use), as TF 1.x
# reference variables do.
declare("VariableV2", _var_spec, _var_kernel, stateful=True, read_at_use=True)


def _assign_spec(inputs, attrs):
    (value,) = inputs
    shape, dtype = attrs["shape"], attrs["dtype"]
    if value.dtype is not dtype:
        raise TypeError(f"cannot assign a {value.dtype.name} value to a {dtype.name} variable")
    if attrs["validate_shape"] and not shape.is_compatible_with(value.shape):
        raise ValueError(f"cannot assign a value of shape {value.shape} to a variable of shape "
                         f"{shape}")
    return [(shape if attrs["validate_shape"] else value.shape, dtype)]


def _check_shape(attrs, var_shape, value):
    if attrs.get("validate_shape", True) and not var_shape.is_compatible_with(value.shape):
        raise InvalidArgumentError(
            f"Assign requires shapes of both tensors to match: variable {attrs['var_name']} "
            f"has shape {var_shape}, value has shape {value.shape}")


def _assign_kernel(ctx, attrs, value):
    _check_shape(attrs, attrs["shape"], value)
    new = np.array(value, copy=True)
    ctx.vars[attrs["var_name"]] = new
    return new


def _assign_update(fn):
    def kernel(ctx, attrs, value):
        old = ctx.read(attrs["var_name"])
        new = fn(old, value)
        _check_shape(attrs, attrs["shape"], new)
        ctx.vars[attrs["var_name"]] = new
        return new
    return kernel


# The Assign family reads and writes the session's state by the variable's name; like TF's
# ref ops they are ordered against reads only by data or control dependencies.
declare("Assign", _assign_spec, _assign_kernel, stateful=True, writes_variables=True)
declare("AssignAdd", _assign_spec, _assign_update(np.add), stateful=True,
        writes_variables=True)
declare("AssignSub", _assign_spec, _assign_update(np.subtract), stateful=True,
        writes_variables=True)


def _is_init_spec(inputs, attrs):
    return [((), _dt.bool_)]


declare("IsVariableInitialized", _is_init_spec,
        lambda ctx, attrs: np.array(attrs["var_name"] in ctx.vars), stateful=True)


def _report_spec(inputs, attrs):
    return [((None,), _dt.string)]


declare("ReportUninitializedVariables", _report_spec,
        lambda ctx, attrs: np.array([n for n in attrs["names"] if n not in ctx.vars],
                                    dtype=object), stateful=True)


def _assign_op(op_type, ref, value, name, validate_shape=True):
    var = _as_variable(ref)
    value = convert_to_tensor(value, dtype=var.dtype)
    return apply(op_type, [value],
                 {"var_name": var._ref.op.name, "shape": var.shape, "dtype": var.dtype,
                  "validate_shape": validate_shape}, name=name)


# -- Variable ---------------------------------------------------------------------------------


class Variable(TensorLike):
    """A mutable tensor whose value lives in each Session (TF 1.x graph semantics)."""

    def __new__(cls, *args, **kwargs):
        # In eager mode (and while tf.function traces) a variable holds its own value.
        if getattr(get_default_graph(), "lifts_variables", False):
            from tensorlet.eager.variables import eager_class
            return object.__new__(eager_class(cls))
        return object.__new__(cls)

    def __init__(self, initial_value=None, trainable=True, collections=None, validate_shape=True,
                 name=None, dtype=None, constraint=None, shape=None, **_kw):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        g = get_default_graph()
        # Variables ignore enclosing control dependencies (TF's init_scope): reading one never
        # runs ops that happened to be in scope when it was created.
        with g.control_dependencies(None), name_scope(name or "Variable") as scope:
            if callable(initial_value):
                initial_value = initial_value()
            with g.name_scope(scope + "initial_value/"):
                init = convert_to_tensor(initial_value, dtype=dtype)
            if shape is not None:
                var_shape = TensorShape(shape)
            else:  # validate_shape=False: the shape may change with later assigns
                var_shape = init.shape if validate_shape else TensorShape(None)
            if validate_shape and not var_shape.is_fully_defined():
                raise ValueError(f"initial_value must have a fully defined shape, got "
                                 f"{init.shape} (pass validate_shape=False to allow it)")
            self._ref = apply("VariableV2", [], {"shape": var_shape, "dtype": init.dtype},
                              name=scope)
            self._ref.op.attrs["var_name"] = self._ref.op.name
            self._initial_value = init
            self.initializer = _assign_op("Assign", self, init, scope + "Assign/",
                                          validate_shape).op
        self.trainable = trainable
        self.constraint = constraint
        keys = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in keys:
            keys.append(GraphKeys.TRAINABLE_VARIABLES)
        add_to_collections(keys, self)

    # -- tensor-like --------------------------------------------------------------------
    def _as_graph_tensor(self):
        return self._ref

    def _control_op(self):
        return self._ref.op

    @property
    def name(self):
        return self._ref.name

    @property
    def op(self):
        return self._ref.op

    @property
    def graph(self):
        return self._ref.graph

    @property
    def dtype(self):
        return self._ref.dtype

    @property
    def shape(self):
        return self._ref.shape

    def get_shape(self):
        return self._ref.shape

    @property
    def initial_value(self):
        return self._initial_value

    @property
    def device(self):
        return ""

    def value(self):
        return self._ref

    def read_value(self):
        """The value at this point of the run: after any enclosing control dependencies."""
        from .array import identity
        return identity(self._ref, name="read")

    def initialized_value(self):
        """The value if the variable is initialised, else its initial value: to initialise
        another variable from this one, whatever order the initialisers run in."""
        from .control import cond

        def read():  # a read op of the branch's own: it runs only when the branch is taken
            return apply("VariableV2", [], dict(self._ref.op.attrs), name="read")
        with get_default_graph().control_dependencies(None):
            return cond(is_variable_initialized(self), read, lambda: self._initial_value)

    def eval(self, session=None):
        return self._ref.eval(session=session)

    # -- updates ------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        out = _assign_op("Assign", self, value, name)
        return out if read_value else out.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        out = _assign_op("AssignAdd", self, delta, name)
        return out if read_value else out.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        out = _assign_op("AssignSub", self, delta, name)
        return out if read_value else out.op

    def load(self, value, session=None):
        """Set the value in `session` (checked like a feed of the variable: dtype and shape)."""
        from tensorlet.runtime.session import _session_for, feed_value
        sess = _session_for(session, self.graph)
        sess._ctx.vars[self._ref.op.name] = np.array(feed_value(self._ref, value))

    def __repr__(self):
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def _as_variable(ref):
    if isinstance(ref, Variable):
        return ref
    raise TypeError(f"expected a tf.Variable, got {type(ref).__name__}")


# -- Module-level functions ------------------------------------------------------------------


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    if getattr(ref, "_ref", None) is None and hasattr(ref, "assign"):  # an eager variable
        return ref.assign(value, name=name)
    return _assign_op("Assign", ref, value, name, validate_shape is not False)


def assign_add(ref, value, use_locking=None, name=None):
    if getattr(ref, "_ref", None) is None and hasattr(ref, "assign_add"):
        return ref.assign_add(value, name=name)
    return _assign_op("AssignAdd", ref, value, name)


def assign_sub(ref, value, use_locking=None, name=None):
    if getattr(ref, "_ref", None) is None and hasattr(ref, "assign_sub"):
        return ref.assign_sub(value, name=name)
    return _assign_op("AssignSub", ref, value, name)


def global_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op that initialises the given variables."""
    from .control import group
    return group([v.initializer for v in var_list], name=name)


def global_variables_initializer():
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init_local")


initialize_all_variables = global_variables_initializer


def is_variable_initialized(variable):
    v = _as_variable(variable)
    return apply("IsVariableInitialized", [], {"var_name": v.op.name})


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A string tensor naming the variables not yet initialised in the running session."""
    var_list = global_variables() if var_list is None else var_list
    names = tuple(v.op.name for v in var_list)
    return apply("ReportUninitializedVariables", [],
                 {"names": names, "var_name": None}, name=name)


__all__ = ["Variable", "assign", "assign_add", "assign_sub", "global_variables",
           "trainable_variables", "local_variables", "variables_initializer",
           "global_variables_initializer", "local_variables_initializer",
           "initialize_all_variables", "is_variable_initialized",
           "report_uninitialized_variables"]
