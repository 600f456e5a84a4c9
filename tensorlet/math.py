"""`tf.math`: elementwise math, reductions and comparisons under their TF 2 namespace."""
from tensorlet.ops.clip import *  # noqa: F401,F403
from tensorlet.ops.gather import top_k  # noqa: F401
from tensorlet.ops.math import *  # noqa: F401,F403
from tensorlet.ops.math import abs, pow, round  # noqa: F401
from tensorlet.ops.nn import log_softmax, softmax, softplus, softsign  # noqa: F401
from tensorlet.ops.cross_entropy import in_top_k  # noqa: F401
from tensorlet.ops.reduction import *  # noqa: F401,F403
from tensorlet.ops.segments import *  # noqa: F401,F403
from tensorlet.ops.math import where_v2 as where  # noqa: F401,E402  (TF 2 spelling broadcasts)
