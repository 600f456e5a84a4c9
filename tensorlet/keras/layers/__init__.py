"""`keras.layers`: the layer classes, `Input`, `InputSpec` and `Layer` for user subclasses."""
from tensorlet.keras.layers.core import Activation as Activation
from tensorlet.keras.layers.core import Dense as Dense
from tensorlet.keras.layers.core import Dropout as Dropout
from tensorlet.keras.layers.core import Flatten as Flatten
from tensorlet.keras.layers.input_layer import Input as Input
from tensorlet.keras.layers.input_layer import InputLayer as InputLayer
from tensorlet.keras.layers.input_spec import InputSpec as InputSpec
from tensorlet.keras.layers.layer import Layer as Layer
from tensorlet.keras.layers.conv import *  # noqa: F401,F403
from tensorlet.keras.layers.pooling import *  # noqa: F401,F403
from tensorlet.keras.layers.reshaping import *  # noqa: F401,F403
from tensorlet.keras.layers.normalization import *  # noqa: F401,F403
from tensorlet.keras.layers.noise import *  # noqa: F401,F403
from tensorlet.keras.layers.serialization import deserialize as deserialize
from tensorlet.keras.layers.serialization import serialize as serialize
from tensorlet.keras.layers.rnn_cells import *  # noqa: F401,F403
from tensorlet.keras.layers.recurrent import *  # noqa: F401,F403
from tensorlet.keras.layers.embedding import *  # noqa: F401,F403
from tensorlet.keras.layers.wrappers import *  # noqa: F401,F403
from tensorlet.keras.layers.reshaping_core import *  # noqa: F401,F403
from tensorlet.keras.layers.lambda_layer import *  # noqa: F401,F403
from tensorlet.keras.layers.regularization import *  # noqa: F401,F403
from tensorlet.keras.layers.merging import *  # noqa: F401,F403
from tensorlet.keras.layers.activations_layers import *  # noqa: F401,F403
from tensorlet.keras.layers.preprocessing import *  # noqa: F401,F403
from tensorlet.keras.layers.einsum_dense import *  # noqa: F401,F403
from tensorlet.keras.layers.attention import *  # noqa: F401,F403
