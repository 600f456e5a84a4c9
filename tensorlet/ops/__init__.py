"""Op families. Importing this package registers every op (DESIGN.md rule 1)."""
from . import array, checks, control, math, reduction, state  # noqa: F401
from . import debugging, functional, loops, random  # noqa: F401
from . import cross_entropy, nn  # noqa: F401
from . import training  # noqa: F401
from . import conv, conv_fused, pool  # noqa: F401
from . import dense_fused  # noqa: F401
from . import clip, gather, generate, indexing, linalg, manip, segments  # noqa: F401
from . import filled  # noqa: F401
from . import rnn  # noqa: F401
