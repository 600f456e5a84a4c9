"""Exception types with TensorFlow's names, so `except tf.errors.X` works unchanged."""


class OpError(Exception):
    """Base of runtime errors raised while running a graph; names the op when known."""

    def __init__(self, node_def=None, op=None, message=""):
        if isinstance(node_def, str) and not message:
            message, node_def = node_def, None
        super().__init__(message)
        self.message = message
        self.op = op
        self.node_def = node_def


class InvalidArgumentError(OpError, ValueError):
    """A value had the wrong shape, dtype or content for the op receiving it."""


class FailedPreconditionError(OpError):
    """The system is not in a state to run the op (e.g. an uninitialised variable)."""


class NotFoundError(OpError, LookupError):
    """A named thing (tensor, file, checkpoint) does not exist."""


class OutOfRangeError(OpError):
    """An iteration or index went past its end."""


class UnimplementedError(OpError):
    """The operation is not supported."""


class InternalError(OpError):
    """An invariant of tensorlet itself was broken: a bug to report."""


class ResourceExhaustedError(OpError):
    """An allocation was refused because it was absurdly large."""


for _cls in (OpError, InvalidArgumentError, FailedPreconditionError, NotFoundError,
             OutOfRangeError, UnimplementedError, InternalError, ResourceExhaustedError):
    _cls.__module__ = "tensorlet.errors"  # the public path, shown in tracebacks
