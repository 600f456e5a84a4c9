"""keras.optimizers.Adamax and Nadam: the infinity-norm and the Nesterov variants of Adam."""
from tensorlet.ops import math

from .adam import AdamLike


class Adamax(AdamLike):
    """m = b1*m + (1-b1)*g; u = max(b2*u, |g|); w -= lr / (1 - b1^t) * m / (u + epsilon)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype
        b1 = self._cast(self.beta_1, dt)
        b1p = self._once(("adamax_power", dt),
                         lambda: math.pow(self._tensor(b1, dt), self._local_step(dt)))
        i = self._get_variable_index(variable)
        return self._update("ApplyAdamax", gradient, variable, (self._m[i], self._u[i]),
                            (self._cast(learning_rate, dt), b1p, b1, self._cast(self.beta_2, dt),
                             self._cast(self.epsilon, dt)))

class Nadam(AdamLike):
    """Adam with Nesterov momentum (Dozat) and the 0.96-decaying momentum schedule of Keras:
    u_t = b1 * (1 - 0.5 * 0.96^t), with the running product of the u_t kept in a variable."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._add_moments(var_list)
        self._u_product = self.add_variable((), initializer="ones", dtype=var_list[0].dtype,
                                            name="u_product")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        dt = self._u_product.dtype
        u_t = self._u(dt, 1)
        self._u_product_t = math.multiply(self._u_product.value(), u_t)
        update = self._u_product.assign(self._u_product_t).op
        return [update] + super()._backend_update_step(grads, trainable_variables,
                                                      learning_rate)

    def _u(self, dt, ahead):
        """b1 * (1 - 0.5 * 0.96^(iterations + ahead)) as `dt`."""
        def build():
            t = math.cast(math.add(self._iterations.value(), ahead), dt)
            decay = math.pow(self._tensor(0.96, dt), t)
            return math.multiply(self._tensor(self.beta_1, dt),
                                 math.subtract(1.0, math.multiply(decay, 0.5)))
        return self._once(("nadam_u", dt, ahead), build)

    def update_step(self, gradient, variable, learning_rate):
        dt = variable.dtype

        def coefficients():
            u_t, u_t1 = self._u(dt, 1), self._u(dt, 2)
            prod_t = math.cast(self._u_product_t, dt)
            prod_t1 = math.multiply(prod_t, u_t1)
            b2p = math.pow(self._tensor(self.beta_2, dt), self._local_step(dt))
            return (math.truediv(u_t1, math.subtract(1.0, prod_t1)),
                    math.truediv(math.subtract(1.0, u_t), math.subtract(1.0, prod_t)),
                    math.truediv(1.0, math.subtract(1.0, b2p)))

        c_m, c_g, c_v = self._once(("nadam_coefficients", dt), coefficients)
        i = self._get_variable_index(variable)
        scalars = (self._cast(learning_rate, dt), c_m, c_g, c_v, self._cast(self.beta_1, dt),
                   self._cast(self.beta_2, dt), self._cast(self.epsilon, dt))
        return self._update("ApplyNadam", gradient, variable,
                            (self._momentums[i], self._velocities[i]), scalars)
