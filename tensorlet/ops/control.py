"""Control ops: no_op, group, tuple, cond."""
from tensorlet.framework.graph import control_dependencies, get_default_graph
from .base import declare

declare("NoOp", lambda inputs, attrs: [], lambda attrs: ())


def no_op(name=None):
    """An op that does nothing; useful as a target with control dependencies."""
    return get_default_graph().create_op("NoOp", [], name=name)


def group(*inputs, name=None):
    """An op that runs all `inputs` (ops or tensors) when run."""
    flat = []
    for x in inputs:
        if isinstance(x, (list, tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    flat = [x for x in flat if x is not None]
    with control_dependencies(flat):
        return no_op(name=name or "group_deps")


__all__ = ["no_op", "group"]
