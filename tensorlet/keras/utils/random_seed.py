"""`keras.utils.set_random_seed`: one seed for Python, NumPy and the Keras graph."""
import random

import numpy as np

from tensorlet.keras import backend


def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and the Keras graph, so that building
    and training the same model again (in this session or a new process) gives bitwise
    identical weights: initialisers and dropout draw their seeds from Python's `random` (as in
    Keras 3) and `fit` shuffles with NumPy's generator."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    backend.set_graph_seed(seed)
