"""The tf.nn namespace: neural-network ops, re-exported from their op families."""
from tensorlet.ops.conv import (  # noqa: F401
    conv1d,
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    conv2d_transpose,
    depthwise_conv2d,
    separable_conv2d,
)
from tensorlet.ops.cross_entropy import (  # noqa: F401
    in_top_k,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from tensorlet.ops.nn import (  # noqa: F401
    batch_normalization,
    bias_add,
    dropout,
    elu,
    embedding_lookup,
    gelu,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_softmax,
    moments,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
    xw_plus_b,
)
from tensorlet.ops.pool import (  # noqa: F401
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    max_pool,
    max_pool1d,
    max_pool2d,
)
from tensorlet.ops.rnn import gru_sequence, lstm_sequence, simple_rnn_sequence  # noqa: F401
