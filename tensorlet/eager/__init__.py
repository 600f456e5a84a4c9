"""Eager execution: ops run at once on concrete values (EagerTensor), GradientTape for their
gradients and `function` to trace Python functions into graphs — all on the same op registry
as graph mode (DESIGN.md rule 1)."""
from .context import disable_eager_execution, eager_mode, enable_eager_execution  # noqa: F401
from .context import executing_eagerly  # noqa: F401
from .function import Function, TensorSpec, function  # noqa: F401
from .tape import GradientTape, UnconnectedGradients  # noqa: F401
from .tensor import EagerTensor  # noqa: F401
from .variables import EagerVariable  # noqa: F401

__all__ = ["enable_eager_execution", "disable_eager_execution", "executing_eagerly",
           "eager_mode", "GradientTape", "UnconnectedGradients", "function", "TensorSpec"]
