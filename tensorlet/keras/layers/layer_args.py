"""Constructor arguments that many layers share, checked and serialised in one place: positive
sizes, seeds, and each weight's `<weight>_initializer/_regularizer/_constraint` triple."""
import numbers

from tensorlet.keras import backend, constraints, initializers, regularizers

_KINDS = (("initializer", initializers), ("regularizer", regularizers),
          ("constraint", constraints))


def positive_int(value, what):
    """`value` as an int; a ValueError (Keras's wording) unless it is an integer > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"Received an invalid value for `{what}`, expected a positive "
                         f"integer. Received: {what}={value!r}")
    return int(value)


def op_seed(seed):
    """The op seed of a random layer: `seed`, or (None) one drawn from Python's `random`, so
    that keras.utils.set_random_seed makes unseeded layers repeatable."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"Argument `seed` must be an integer or None. Received: {seed!r}")
    return seed if seed is not None else backend.make_default_seed()


def set_weight_args(layer, weight, initializer, regularizer, constraint):
    """Resolve a weight's three identifiers (names, configs, objects or None) onto `layer` as
    `<weight>_initializer`, `<weight>_regularizer` and `<weight>_constraint`."""
    for (kind, module), value in zip(_KINDS, (initializer, regularizer, constraint)):
        setattr(layer, f"{weight}_{kind}", module.get(value))


def weight_kwargs(layer, weight):
    """The initializer/regularizer/constraint keywords of `add_weight` for `weight`."""
    return {kind: getattr(layer, f"{weight}_{kind}") for kind, _ in _KINDS}


def weight_args_config(layer, *weights):
    """Config entries of the weights' identifiers, in Keras's order (every initializer, then
    every regularizer, then every constraint); None stays None."""
    config = {}
    for kind, module in _KINDS:
        for weight in weights:
            obj = getattr(layer, f"{weight}_{kind}")
            config[f"{weight}_{kind}"] = None if obj is None else module.serialize(obj)
    return config
