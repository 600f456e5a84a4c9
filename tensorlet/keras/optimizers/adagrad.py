"""keras.optimizers.Adagrad and Adadelta: per-parameter rates from accumulated squares."""
from tensorlet.keras import initializers

from .base import Optimizer, hyper


class Adagrad(Optimizer):
    """accumulator += g^2 (starting at initial_accumulator_value);
    w -= lr * g / sqrt(accumulator + epsilon)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = hyper("Adagrad", "initial_accumulator_value",
                                               initial_accumulator_value, low=0)
        self.epsilon = hyper("Adagrad", "epsilon", epsilon, low=0)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator",
            initializer=initializers.Constant(self.initial_accumulator_value))

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype
        acc = self._accumulators[self._get_variable_index(variable)]
        return self._update("ApplyAdagrad", gradient, variable, (acc,),
                            (self._cast(learning_rate, dt), self._cast(self.epsilon, dt)))

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """Zeiler's Adadelta with a learning rate: delta = -sqrt(acc_delta + eps) * g /
    sqrt(acc_grad + eps); w += lr * delta; both accumulators decay with rho."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = hyper("Adadelta", "rho", rho, low=0, high=1)
        self.epsilon = hyper("Adadelta", "epsilon", epsilon, low=0)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Interleaved per variable, in Keras 3's order (saved files).
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, grad, variable, learning_rate):
        dt = variable.dtype
        i = self._get_variable_index(variable)
        return self._update("ApplyAdadelta", grad, variable,
                            (self._accumulated_grads[i], self._accumulated_delta_vars[i]),
                            [self._cast(x, dt) for x in (learning_rate, self.rho, self.epsilon)])

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
