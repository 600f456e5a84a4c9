"""Normalisation layers: BatchNormalization, LayerNormalization, GroupNormalization, as
composites of core ops with Keras 3's defaults (epsilon 1e-3; BN momentum 0.99).

BatchNormalization in training (and trainable) normalises with the batch's mean and biased
variance and updates the moving statistics with assign ops that its output depends on (control
dependencies), so that any plan computing the training output — `fit`'s training step, or
`layer(x, training=True)` — runs the updates, as Keras 3 does, with no engine support needed.
"""
import numbers

from tensorlet.framework.graph import control_dependencies
from tensorlet.keras import constraints, initializers, regularizers
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops import reduction as _reduction


def _maybe(fn, obj):
    return None if obj is None else fn(obj)


def _norm_axes(axes, ndim, name):
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -ndim <= a < ndim:
            raise ValueError(f"Layer '{name}': axis {a!r} is out of range for an input of rank "
                             f"{ndim}")
        out.append(int(a) % ndim)
    return out


def _normalize(x, mean, var, gamma, beta, epsilon):
    """(x - mean) * gamma / sqrt(var + epsilon) + beta, as Keras computes it."""
    inv = _math.rsqrt(var + epsilon)
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return x * inv + res


class _Affine(Layer):
    """Shared arguments, weights and config of the normalisation layers (gamma and beta)."""

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _add_affine(self, shape, scale=None, center=None):
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        self.gamma = self.beta = None
        if scale:
            self.gamma = self.add_weight(name="gamma", shape=shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if center:
            self.beta = self.add_weight(name="beta", shape=shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def _param(self, v, x):
        """A weight in x's dtype, shaped to broadcast against x when the normalised axes are
        not just the last one (`_bcast`, `_reshape` are set by build)."""
        if v is None:
            return None
        v = v if v.dtype is x.dtype else _math.cast(v, x.dtype)
        return _array.reshape(v, self._bcast) if self._reshape else v

    def _check_rank(self, input_shape):
        if input_shape is None:
            raise ValueError(f"Layer '{self.name}' needs an input of known rank.")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": _maybe(regularizers.serialize, self.beta_regularizer),
                "gamma_regularizer": _maybe(regularizers.serialize, self.gamma_regularizer),
                "beta_constraint": _maybe(constraints.serialize, self.beta_constraint),
                "gamma_constraint": _maybe(constraints.serialize, self.gamma_constraint)}


class BatchNormalization(_Affine):
    """Normalises each feature along `axis` with the batch statistics in training and the
    moving statistics at inference; moving = moving * momentum + batch * (1 - momentum)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Expected an int for the argument 'axis', but received: {axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.synchronized = bool(synchronized)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        self._check_rank(input_shape)
        nd = len(input_shape)
        (ax,) = _norm_axes([self.axis], nd, self.name)
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(f"Layer '{self.name}': axis {self.axis} of the input must be known;"
                             f" received input shape {tuple(input_shape)}.")
        self._add_affine((dim,))
        self.moving_mean = self.add_weight(name="moving_mean", shape=(dim,), trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(dim,),
                                               trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.input_spec = InputSpec(ndim=nd, axes={self.axis: dim})
        self._reduction_axes = [i for i in range(nd) if i != ax]
        self._dim = dim
        self._bcast = [1] * nd
        self._bcast[ax] = dim
        self._reshape = ax != nd - 1
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        gamma, beta = self._param(self.gamma, x), self._param(self.beta, x)
        if not (training and self.trainable):
            mean = self._param(self.moving_mean, x)
            var = self._param(self.moving_variance, x)
            return _normalize(x, mean, var, gamma, beta, self.epsilon)
        mean, var = self._moments(x, mask)
        y = _normalize(x, mean, var, gamma, beta, self.epsilon)
        updates = []
        m = self.momentum
        for var_w, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
            b = _array.reshape(batch, [self._dim])
            b = b if b.dtype is var_w.dtype else _math.cast(b, var_w.dtype)
            updates.append(var_w.assign(var_w * m + b * (1.0 - m)))
        with control_dependencies(updates):
            return _array.identity(y)

    def _moments(self, x, mask):
        axes = self._reduction_axes
        if mask is None:
            return _nn.moments(x, axes, keepdims=True)
        if mask.shape.ndims is not None and x.shape.ndims is not None \
                and mask.shape.ndims != x.shape.ndims - 1:
            raise ValueError(f"The mask provided should be one dimension less than the inputs. "
                             f"Received: mask.shape={mask.shape}, inputs.shape={x.shape}")
        w = _array.expand_dims(_math.cast(mask, x.dtype), -1)
        total = _reduction.reduce_sum(w, axes, keepdims=True) + 1e-7
        mean = _reduction.reduce_sum(w * x, axes, keepdims=True) / total
        sq = _math.square(w * x - mean)
        return mean, _reduction.reduce_sum(w * sq, axes, keepdims=True) / total

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer),
                "synchronized": self.synchronized}


class LayerNormalization(_Affine):
    """Normalises each sample over `axis` (an int or a list); with `rms_scaling`, only divides
    by the root of the variance and scales by gamma."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', "
                            f"but received: {axis!r}")
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        self._check_rank(input_shape)
        nd = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = _norm_axes(axes, nd, self.name)
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError(f"Layer '{self.name}': the normalised axes {axes} of the input "
                             f"must be known; received input shape {tuple(input_shape)}.")
        self._add_affine(shape, scale=self.scale or self.rms_scaling,
                         center=self.center and not self.rms_scaling)
        self._bcast = [1] * nd
        for a in self._axes:
            self._bcast[a] = input_shape[a]
        self._reshape = self._axes != [nd - 1]
        self.built = True

    def call(self, inputs):
        x = inputs
        gamma = self._param(self.gamma, x)
        mean, var = _nn.moments(x, self._axes, keepdims=True)
        if self.rms_scaling:
            return x * _math.rsqrt(var + self.epsilon) * gamma
        return _normalize(x, mean, var, gamma, self._param(self.beta, x), self.epsilon)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "rms_scaling": self.rms_scaling}


class GroupNormalization(_Affine):
    """Splits the channels along `axis` into `groups` and normalises each sample's group over
    the group's channels and all other non-batch axes (groups=-1: one per channel)."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or \
                (groups < 1 and groups != -1):
            raise ValueError(f"`groups` must be a positive integer or -1. Received: "
                             f"groups={groups!r}")
        self.groups = int(groups)
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_rank(input_shape)
        nd = len(input_shape)
        (ax,) = _norm_axes([self.axis], nd, self.name)
        if ax == 0:
            raise ValueError(f"Layer '{self.name}': axis {self.axis} is the batch axis.")
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension "
                             f"but the layer received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a divisor of the number "
                             f"of channels ({dim}).")
        self.input_spec = InputSpec(ndim=nd, axes={self.axis: dim})
        self._add_affine((dim,))
        self._ax = ax
        self._gshape = list(input_shape)
        self._gshape[ax:ax + 1] = [self.groups, dim // self.groups]
        self._bcast = [1] * (nd + 1)
        self._bcast[ax:ax + 2] = [self.groups, dim // self.groups]
        self.built = True

    def call(self, inputs):
        x = inputs
        g = _array.reshape(x, self._grouped_shape(x))
        axes = [i for i in range(1, len(self._bcast)) if i != self._ax]
        mean, var = _nn.moments(g, axes, keepdims=True)
        gamma = None if self.gamma is None else _array.reshape(self.gamma, self._bcast)
        beta = None if self.beta is None else _array.reshape(self.beta, self._bcast)
        y = _normalize(g, mean, var, gamma, beta, self.epsilon)
        return _array.reshape(y, _array.shape(x))

    def _grouped_shape(self, x):
        dims = [None] + self._gshape[1:]
        if sum(d is None for d in dims) <= 1:
            return [-1 if d is None else d for d in dims]
        dyn = _array.shape(x)
        return _array.stack([d if d is not None else dyn[k if k < self._ax else k - 1]
                             for k, d in enumerate(dims)])

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis}


__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization"]
