"""`tf.errors`: the exception types raised by graph execution."""
from tensorlet.framework.errors import (  # noqa: F401
    FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, OpError,
    OutOfRangeError, ResourceExhaustedError, UnimplementedError)
