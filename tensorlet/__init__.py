"""tensorlet: the TensorFlow 1.x graph API and the Keras API on NumPy and numba.

`import tensorlet as tf` runs TF 1.x graph programs; `from tensorlet import keras` runs Keras
programs. This module only re-exports public names; nothing is defined here.
"""
from tensorlet import errors  # noqa: F401
from tensorlet.framework.dtypes import (  # noqa: F401
    DType, as_dtype, bool_ as bool, double, float16, float32, float64, half, int8, int16,
    int32, int64, string, uint8, uint16, uint32, uint64)
from tensorlet.framework.graph import (  # noqa: F401
    Graph, GraphKeys, Operation, Tensor, add_to_collection, add_to_collections,
    control_dependencies, convert_to_tensor, device, get_collection, get_collection_ref,
    get_default_graph, is_tensor, name_scope, reset_default_graph)
from tensorlet.framework.shapes import Dimension, TensorShape  # noqa: F401
from tensorlet.ops.array import *  # noqa: F401,F403
from tensorlet.ops.control import *  # noqa: F401,F403
from tensorlet.ops.math import *  # noqa: F401,F403
from tensorlet.ops.reduction import *  # noqa: F401,F403
from tensorlet.ops.state import *  # noqa: F401,F403
from tensorlet.ops.random import *  # noqa: F401,F403
from tensorlet.initializers import *  # noqa: F401,F403
from tensorlet.framework.variable_scope import (  # noqa: F401
    AUTO_REUSE, VariableScope, get_variable, get_variable_scope, variable_scope)
from tensorlet.ops.debugging import *  # noqa: F401,F403
from tensorlet.ops.loops import while_loop  # noqa: F401
from tensorlet.ops.clip import *  # noqa: F401,F403
from tensorlet.ops.generate import *  # noqa: F401,F403
from tensorlet.ops.indexing import *  # noqa: F401,F403
from tensorlet.ops.linalg import *  # noqa: F401,F403
from tensorlet.ops.segments import *  # noqa: F401,F403
from tensorlet.ops.functional import *  # noqa: F401,F403
from tensorlet.ops import linalg  # noqa: F401  (tf.linalg)
from tensorlet import debugging, initializers, random  # noqa: F401
from tensorlet import losses, nn  # noqa: F401
from tensorlet import train  # noqa: F401
from tensorlet import compat, math  # noqa: F401
from tensorlet.autodiff import gradients  # noqa: F401
from tensorlet.runtime.session import InteractiveSession, Session, get_default_session  # noqa
from tensorlet.runtime.session import ConfigProto, GPUOptions, RunMetadata, RunOptions  # noqa
from tensorlet.eager import (  # noqa: F401
    GradientTape, TensorSpec, UnconnectedGradients, disable_eager_execution, eager_mode,
    enable_eager_execution, executing_eagerly, function)
from tensorlet.ops.math import abs, pow, round  # noqa: F401,A004

__version__ = "0.1.0"
newaxis = None
