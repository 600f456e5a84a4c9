"""keras.optimizers.SGD: gradient descent with optional (Nesterov) momentum."""
from .base import Optimizer, hyper


class SGD(Optimizer):
    """velocity = momentum * velocity - lr * g; w += velocity (Nesterov:
    w += momentum * velocity - lr * g); plain w -= lr * g when momentum is 0.

    Other keyword arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
    loss_scale_factor, ...) are the base Optimizer's.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = hyper("SGD", "momentum", momentum, low=0, high=1)
        self.nesterov = bool(nesterov)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype
        lr = self._cast(learning_rate, dt)
        if self.momentum == 0:
            return self._update("ApplyGradientDescent", gradient, variable, scalars=(lr,))
        neg_lr = self._once(("neg_lr", dt), lambda: -lr)
        m = self.momentums[self._get_variable_index(variable)]
        return self._update("ApplyMomentum", gradient, variable, slots=(m,),
                            scalars=(neg_lr, 1, self._cast(self.momentum, dt)),
                            use_nesterov=self.nesterov)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
