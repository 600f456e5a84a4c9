"""Per-session state that stateful kernels read and write: variable values and RNG streams."""
import numpy as np

from tensorlet.framework.errors import FailedPreconditionError


class RunContext:
    """What a Session owns: variable values (keyed by the variable's op name) and random streams."""

    def __init__(self):
        self.vars = {}
        self._rngs = {}
        self._entropy = np.random.default_rng()

    def read(self, name):
        try:
            return self.vars[name]
        except KeyError:
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {name} (run its initializer, "
                f"e.g. sess.run(tf.global_variables_initializer()))") from None

    def rng_for(self, attrs):
        """The random stream of one random op: repeatable when seeded, fresh otherwise."""
        if attrs.get("stateless"):
            return stateless_rng(attrs)
        key = id(attrs)
        gen = self._rngs.get(key)
        if gen is None:
            seed, seed2 = attrs.get("seed"), attrs.get("seed2")
            if seed is None and seed2 is None:
                gen = np.random.default_rng(self._entropy.integers(2**63))
            else:
                gen = np.random.default_rng([seed or 0, seed2 or 0, 0x7E57])
            self._rngs[key] = (gen, attrs)  # keep attrs alive so id() stays unique
            return gen
        return gen[0]


def stateless_rng(attrs):
    """The generator of a stateless random op (`tf.random.stateless_normal`...): started afresh
    from its seed pair at every run, so every run draws the same numbers."""
    return np.random.default_rng([attrs["seed"], attrs["seed2"], 0x57A7E])
