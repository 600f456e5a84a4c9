"""The op registry: one OpDef record per op type holds all of its rules (DESIGN.md rule 1).

An OpDef has
- ``infer(inputs, attrs)``: the output (shape, dtype) pairs from the input tensors' static
  shapes/dtypes; raises ValueError/TypeError naming what was expected for a bad build;
- ``kernel(attrs, *arrays)`` (or ``kernel(ctx, attrs, *arrays)`` when ``stateful``): NumPy in,
  NumPy out (one array, or a tuple for several outputs);
- ``grad(op, grads, needed)``: one entry per input (a Tensor or None), built from other ops;
  ``grads`` has one entry per output, ``needed[i]`` says whether input i's gradient is wanted;
- ``samples()``: a list of ``(input arrays, attrs)`` for the registry-driven gradient check.
"""
from dataclasses import dataclass, field
from typing import Callable

_REGISTRY = {}


@dataclass
class OpDef:
    type: str
    infer: Callable
    kernel: Callable
    grad: Callable | None = None
    stateful: bool = False
    samples: Callable | None = None
    # Inputs that are never differentiated (indices, shapes, labels); skipped by gradcheck.
    nondiff_inputs: tuple = ()
    # Outputs that only carry what the gradient rule needs (like cuDNN's reserve space): no
    # gradient flows through them (autodiff treats them as constants; gradcheck skips them).
    aux_outputs: tuple = ()
    # Extra tolerance scale for the numeric gradient check (kinks, large curvature).
    check_tol: float = 1.0
    # A stateful read without inputs (a variable's value): a plan re-runs it right before each
    # consumer that has control dependencies, so that consumer sees the value after them (TF
    # 1.x reference semantics for `with control_dependencies([update]): y = f(v)`).
    read_at_use: bool = False
    # Changes a variable's value (assign, scatter, optimizer updates): a Keras layer's call
    # runs such an op with the call even when nothing reads its result.
    writes_variables: bool = False
    # A value that must be fed (a placeholder): a plan that would run the op raises instead.
    requires_feed: bool = False
    # Optional build-time evaluator: fold(op) -> NumPy value or None (shape inference uses it).
    fold: Callable | None = None
    # Ops whose attrs hold subgraphs (cond) cannot have standalone samples: the test file
    # (relative to tests/) that checks their gradient instead.
    gradcheck_in: str = ""
    doc: str = field(default="", repr=False)

    @property
    def differentiable(self):
        return self.grad is not None


def register(opdef):
    """Add an OpDef; a type name may be declared only once."""
    if opdef.type in _REGISTRY:
        raise ValueError(f"Op type {opdef.type!r} is already registered")
    _REGISTRY[opdef.type] = opdef
    return opdef


def op_def(type_name):
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise KeyError(f"No op type {type_name!r} is registered") from None


def all_op_defs():
    """Every registered OpDef (imports all op families first)."""
    import tensorlet.ops  # noqa: F401  (registers the families)
    return dict(_REGISTRY)
