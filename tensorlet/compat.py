"""`tf.compat.v1` / `tf.compat.v2`: tensorlet's top level is already the TF 1.x API, so programs
that spell `tf.compat.v1.placeholder` run unchanged."""
import tensorlet as v1  # noqa: F401
import tensorlet as v2  # noqa: F401
