"""keras.optimizers.RMSprop."""
from .base import Optimizer, hyper


class RMSprop(Optimizer):
    """velocity = rho*velocity + (1-rho)*g^2 (starting at zeros); w -= lr*g/sqrt(velocity + eps)
    (centered: subtract the squared mean gradient first); optional plain momentum."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = hyper("RMSprop", "rho", rho, low=0, high=1)
        self.momentum = hyper("RMSprop", "momentum", momentum, low=0)
        self.epsilon = hyper("RMSprop", "epsilon", epsilon, low=0)
        self.centered = bool(centered)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list,
                                                                   "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype
        i = self._get_variable_index(variable)
        slots = [self._velocities[i]]
        if self.momentum > 0:
            slots.append(self._momentums[i])
        if self.centered:
            slots.append(self._average_gradients[i])
        return self._update("ApplyRMSProp", gradient, variable, slots,
                            [self._cast(x, dt) for x in (learning_rate, self.rho, self.momentum,
                                                         self.epsilon)],
                            centered=self.centered, use_momentum=self.momentum > 0)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
