"""keras.optimizers.schedules: serialisable learning-rate schedules of the optimizer step.

Each schedule is a small object whose `__call__(step)` builds the same graph ops as the tf.train
decay function of the same rule (tensorlet.train.schedules): the math exists once.
"""
from tensorlet.framework.graph import name_scope
from tensorlet.keras import _identifiers
from tensorlet.ops import math
from tensorlet.train import schedules as _tf

__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]


def _positive_steps(value, arg="decay_steps"):
    if not value > 0:
        raise ValueError(f"Argument `{arg}` must be > 0. Received: {arg}={value}")


class LearningRateSchedule:
    """Base class: `__call__(step)` returns the learning rate at `step` (a scalar tensor)."""

    _FIELDS = ()  # a built-in schedule's constructor arguments, in Keras's get_config order

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self):
        if not self._FIELDS:
            raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                      "override `get_config()` in order to be serializable.")
        return {field: getattr(self, field) for field in self._FIELDS}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """ExponentialDecay and InverseTimeDecay: the same arguments, each its tf.train rule."""

    _FIELDS = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _positive_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        return self._rule(self.initial_learning_rate, step, self.decay_steps, self.decay_rate,
                          self.staircase, name=self.name)


class ExponentialDecay(_RateDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps), floored when staircase."""

    _rule = staticmethod(_tf.exponential_decay)

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)


class InverseTimeDecay(_RateDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps), floored when staircase."""

    _rule = staticmethod(_tf.inverse_time_decay)

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[i] on the i-th interval of `boundaries` (each interval closed on the right)."""

    _FIELDS = ("boundaries", "values", "name")

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received:"
                f" boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                f"length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        return _tf.piecewise_constant(step, self.boundaries, self.values, name=self.name)


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, capped or cycled."""

    _FIELDS = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",
               "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _positive_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        return _tf.polynomial_decay(self.initial_learning_rate, step, self.decay_steps,
                                    self.end_learning_rate, self.power, self.cycle,
                                    name=self.name)


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup to `warmup_target`, then cosine decay to alpha times the peak."""

    _FIELDS = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
               "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _positive_steps(decay_steps)
        if warmup_steps < 0:
            raise ValueError(f"Argument `warmup_steps` must be >= 0. Received: "
                             f"warmup_steps={warmup_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        if self.warmup_target is None:
            return _tf.cosine_decay(self.initial_learning_rate, step, self.decay_steps,
                                    self.alpha, name=self.name)
        with name_scope(self.name):
            lr, step = _tf.lr_and_step(self.initial_learning_rate, step)
            target = math.cast(self.warmup_target, lr.dtype)
            warm = math.cast(self.warmup_steps, lr.dtype)
            steps = math.cast(self.decay_steps, lr.dtype)
            step = math.minimum(step, math.add(steps, warm))
            warmup = math.add(math.multiply(math.subtract(target, lr),
                                            math.truediv(step, warm)), lr)
            decayed = math.multiply(
                target, _tf.cosine_factor(math.subtract(step, warm), steps, self.alpha))
            return math.where(math.less(step, warm), warmup, decayed)


_OBJECTS = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                      InverseTimeDecay, CosineDecay)}


def serialize(learning_rate_schedule):
    """Keras 3's config dict of a schedule ({'module', 'class_name', 'config', ...})."""
    return _identifiers.serialize_object(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(config, custom_objects=None):
    """The schedule a config dict describes (known classes and `custom_objects` only)."""
    return _identifiers.deserialize_object(config, _OBJECTS, "learning rate schedule",
                                           custom_objects)
