"""TF 1.x variable scopes and `get_variable`: variables shared by name, with reuse rules.

A VariableScope carries a name prefix and defaults (reuse, initializer, regularizer, dtype) that
sub-scopes inherit. `get_variable` creates or fetches `scope/name` in the graph's store
(`graph._var_store`); entering a scope also opens a name scope for the ops built inside it.
"""
import contextlib
import enum
import inspect

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import (
    GraphKeys,
    Tensor,
    add_to_collection,
    convert_to_tensor,
    get_default_graph,
)
from tensorlet.framework.shapes import TensorShape


class _ReuseMode(enum.Enum):
    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE
"""`reuse=tf.AUTO_REUSE`: get_variable returns an existing variable or creates a new one."""


class VariableScope:
    """A variable-name prefix with the defaults its variables (and sub-scopes) inherit."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, dtype=_dt.float32,
                 constraint=None, name_scope=""):
        self._reuse = reuse
        self._name = name
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = _dt.as_dtype(dtype)
        self.constraint = constraint
        self._name_scope = name_scope

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        """The name scope opened when this scope was first entered ('a/b/')."""
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    def reuse_variables(self):
        """Reuse variables in this scope from now on (`scope.reuse_variables()`)."""
        self._reuse = True

    def set_initializer(self, initializer):
        self.initializer = initializer

    def set_regularizer(self, regularizer):
        self.regularizer = regularizer

    def set_dtype(self, dtype):
        self.dtype = _dt.as_dtype(dtype)

    def get_variable(self, name, shape=None, dtype=None, initializer=None, regularizer=None,
                     trainable=None, collections=None, validate_shape=True, constraint=None,
                     **kw):
        """`get_variable` under this scope's name and defaults."""
        with _entered(get_default_graph(), self):
            return get_variable(name, shape, dtype, initializer, regularizer, trainable,
                                collections, validate_shape=validate_shape,
                                constraint=constraint, **kw)

    def global_variables(self):
        return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, self._prefix())

    def trainable_variables(self):
        return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, self._prefix())

    def _prefix(self):
        return self._name + "/" if self._name else None

    def __repr__(self):
        return f"<VariableScope '{self._name}' reuse={self._reuse}>"


def _stack(graph):
    if not graph._var_scope_stack:
        graph._var_scope_stack.append(VariableScope(False))
    return graph._var_scope_stack


def get_variable_scope():
    """The current VariableScope of the default graph (the root scope has name '')."""
    return _stack(get_default_graph())[-1]


@contextlib.contextmanager
def _entered(graph, scope):
    stack = _stack(graph)
    stack.append(scope)
    try:
        yield scope
    finally:
        stack.pop()


def _unique_scope_name(graph, prefix):
    """`prefix`, or `prefix_1`, ... if a scope of that name is already open in the parent."""
    parent = _stack(graph)[-1].name
    full = f"{parent}/{prefix}" if parent else prefix
    counts = graph._var_scope_counts
    if not counts.get(full):
        return prefix
    i = 1
    while counts.get(f"{full}_{i}"):
        i += 1
    return f"{prefix}_{i}"


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None,
                   regularizer=None, caching_device=None, reuse=None, dtype=None,
                   use_resource=None, constraint=None, auxiliary_name_scope=True):
    """`with tf.variable_scope('layer1', reuse=tf.AUTO_REUSE) as scope:` (TF 1.x semantics).

    Opens a matching name scope (a fresh, uniquified one each time, as TF does); `reuse` is
    inherited by sub-scopes; `name_or_scope` may be a captured VariableScope to re-enter it.
    """
    if name_or_scope is None and default_name is None:
        raise ValueError("variable_scope needs a name_or_scope or a default_name")
    if name_or_scope is not None and not isinstance(name_or_scope, (str, VariableScope)):
        raise TypeError(f"variable_scope: name_or_scope must be a string or a VariableScope, "
                        f"got {type(name_or_scope).__name__}")
    if reuse not in (None, True, False, AUTO_REUSE):
        raise ValueError(f"reuse must be True, False, None or tf.AUTO_REUSE, got {reuse!r}")
    if name_or_scope is None and reuse is True:
        raise ValueError("reuse=True cannot be used without a name_or_scope")
    graph = get_default_graph()
    parent = _stack(graph)[-1]
    if isinstance(name_or_scope, VariableScope):
        base, short = name_or_scope, name_or_scope.name.split("/")[-1]
    else:
        base, short = parent, name_or_scope if name_or_scope is not None else default_name

    ns_cm = graph.name_scope(short) if auxiliary_name_scope and short else \
        contextlib.nullcontext(graph.get_name_scope() + "/" if graph.get_name_scope() else "")
    with ns_cm as name_scope_str:
        if isinstance(name_or_scope, VariableScope):
            full = name_or_scope.name
            new_reuse = reuse or name_or_scope.reuse
            original = name_or_scope.original_name_scope
        else:
            if name_or_scope is None:
                short = _unique_scope_name(graph, default_name)
            full = f"{parent.name}/{short}" if parent.name else short
            new_reuse = reuse or parent.reuse  # reuse is inherited by sub-scopes
            original = name_scope_str
        scope = VariableScope(
            new_reuse, full,
            initializer=initializer if initializer is not None else base.initializer,
            regularizer=regularizer if regularizer is not None else base.regularizer,
            dtype=dtype if dtype is not None else base.dtype,
            constraint=constraint if constraint is not None else base.constraint,
            name_scope=original)
        counts = graph._var_scope_counts
        saved = dict(counts) if isinstance(name_or_scope, VariableScope) else None
        counts[full] = counts.get(full, 0) + 1
        try:
            with _entered(graph, scope):
                yield scope
        finally:
            if saved is not None:
                counts.clear()
                counts.update(saved)
            else:  # sub-scopes opened inside may be opened again under the same names
                for k in counts:
                    if k.startswith(full + "/"):
                        counts[k] = 0


# -- get_variable -------------------------------------------------------------------------------


def _default_initializer(name, dtype):
    from tensorlet import initializers
    if dtype.is_floating:
        return initializers.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool:
        return initializers.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {dtype.name} is required")


def _takes_partition_info(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "partition_info" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, validate_shape=True,
                 use_resource=None, constraint=None):
    """Get the variable `scope/name`, creating it when the scope's reuse mode allows.

    `initializer` is an initializer (called with shape and dtype), a class of one, or a value
    (a tensor, NumPy array or list: then the shape comes from it). Floats default to
    glorot_uniform, ints to zeros. A regularizer's loss goes to REGULARIZATION_LOSSES.
    """
    from tensorlet.ops.state import Variable
    if not isinstance(name, str) or not name:
        raise ValueError(f"get_variable: name must be a non-empty string, got {name!r}")
    graph = get_default_graph()
    scope = _stack(graph)[-1]
    full = f"{scope.name}/{name}" if scope.name else name
    from_value = initializer is not None and not callable(initializer)
    if from_value:
        if shape is not None:
            raise ValueError(f"get_variable {full}: if initializer is a constant, do not "
                             f"specify shape (got shape {shape})")
        init_dtype = convert_to_tensor(initializer).dtype if isinstance(initializer, Tensor) \
            else _dt.default_dtype_for_python(initializer)
        if dtype is not None and _dt.as_dtype(dtype) is not init_dtype:
            raise ValueError(f"get_variable {full}: initializer type '{init_dtype.name}' and "
                             f"explicit dtype '{_dt.as_dtype(dtype).name}' don't match.")
        dtype = init_dtype
    dtype = _dt.as_dtype(dtype) if dtype is not None else scope.dtype
    shape = TensorShape(shape)
    store = graph._var_store

    if full in store:
        if scope.reuse is False or scope.reuse is None:
            var = store[full]
            raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                             f"reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally "
                             f"defined at: {var.op.traceback}")
        var = store[full]
        if not from_value and not shape.is_compatible_with(var.shape):
            raise ValueError(f"Trying to share variable {full}, but specified shape {shape} "
                             f"and found shape {var.shape}.")
        if dtype is not var.dtype:
            raise ValueError(f"Trying to share variable {full}, but specified dtype "
                             f"{dtype.name} and found dtype {var.dtype.name}.")
        return var
    if scope.reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                         "VarScope?")
    if full in graph._by_name:
        raise ValueError(f"get_variable: the graph already has an op named {full!r} (not a "
                         "get_variable variable); choose another name")

    if from_value:
        init_val = initializer
    else:
        init = initializer if initializer is not None else scope.initializer
        if init is None:
            init = _default_initializer(full, dtype)
        if inspect.isclass(init):
            init = init()
        if not shape.is_fully_defined():
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but "
                             f"instead was {shape}.")
        dims = shape.as_list()
        kw = {"partition_info": None} if _takes_partition_info(init) else {}

        def init_val():
            with graph.name_scope(graph.get_name_scope() + "/Initializer/"):
                return init(dims, dtype=dtype, **kw)

    var = Variable(init_val, trainable=True if trainable is None else trainable,
                   collections=collections, validate_shape=validate_shape, name=full + "/",
                   dtype=dtype,
                   constraint=constraint if constraint is not None else scope.constraint)
    store[full] = var

    reg = regularizer if regularizer is not None else scope.regularizer
    if reg is not None:
        with graph.name_scope(full + "/Regularizer/"):
            loss = reg(var)
        if loss is not None:
            add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return var


__all__ = ["AUTO_REUSE", "VariableScope", "get_variable", "get_variable_scope",
           "variable_scope"]
