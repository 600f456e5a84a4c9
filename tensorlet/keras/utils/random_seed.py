"""`keras.utils.set_random_seed`: one seed for Python, NumPy and the Keras graph."""
import random

import numpy as np

from tensorlet.keras import backend


def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and the Keras graph, so that a program
    that builds and trains the same model twice (after `keras.backend.clear_session()`, or in a
    new process) gets bitwise identical weights: initialisers, dropout and shuffling."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    backend.set_graph_seed(seed)
