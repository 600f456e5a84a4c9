"""keras.optimizers.Adam and AdamW (Adam with decoupled weight decay)."""
from tensorlet.ops import math

from .base import Optimizer, hyper


class AdamLike(Optimizer):
    """What Adam, AdamW, Adamax and Nadam share: beta_1, beta_2 and epsilon, range-checked and
    in the config."""

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        cls = type(self).__name__
        self.beta_1 = hyper(cls, "beta_1", beta_1, low=0, high=1)
        self.beta_2 = hyper(cls, "beta_2", beta_2, low=0, high=1)
        self.epsilon = hyper(cls, "epsilon", epsilon, low=0)

    def _add_moments(self, var_list):
        """First and second moment slots, interleaved per variable (m, v, m, v, ...) in
        Keras 3's order (saved files)."""
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adam(AdamLike):
    """Adam: bias correction folded into the step size, epsilon (1e-7) outside the sqrt;
    `amsgrad` keeps the running maximum of the second moment."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self.amsgrad = bool(amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._add_moments(var_list)
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype
        b1, b2 = self._cast(self.beta_1, dt), self._cast(self.beta_2, dt)
        b1p, b2p = self._once(("adam_powers", dt), lambda: (
            math.pow(self._tensor(b1, dt), self._local_step(dt)),
            math.pow(self._tensor(b2, dt), self._local_step(dt))))
        i = self._get_variable_index(variable)
        slots = [self._momentums[i], self._velocities[i]]
        if self.amsgrad:
            slots.append(self._velocity_hats[i])
        return self._update("ApplyAdam", gradient, variable, slots,
                            (self._cast(learning_rate, dt), b1p, b2p, b1, b2,
                             self._cast(self.epsilon, dt)), amsgrad=self.amsgrad)

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w -= w * weight_decay * lr
    before each Adam step; weight_decay defaults to 0.004 and must be given."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
