"""tf.train: the TF 1.x optimizers, the global step and learning-rate decay schedules."""
from tensorlet.train.optimizers import (  # noqa: F401
    AdadeltaOptimizer,
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from tensorlet.train.schedules import (  # noqa: F401
    cosine_decay,
    create_global_step,
    exponential_decay,
    get_global_step,
    get_or_create_global_step,
    global_step,
    inverse_time_decay,
    piecewise_constant,
    polynomial_decay,
)
from tensorlet.train.saver import (  # noqa: F401
    CheckpointState, Saver, checkpoint_exists, get_checkpoint_mtimes, get_checkpoint_state,
    latest_checkpoint, list_variables, load_variable, update_checkpoint_state)
