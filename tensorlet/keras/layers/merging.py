"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot, and their
functional forms (`keras.layers.add([a, b])`, ...), with Keras 3's shape rules and masks.

Elementwise merges take inputs of equal per-sample shapes, or shapes that broadcast (size-1
axes, and lower-rank inputs that get size-1 axes inserted after the batch axis). The output
mask is the OR of the input masks (None unless every input has one); Maximum, Minimum and
Multiply merge only the unmasked values, as Keras 3 does.
"""
import math
import numbers

from tensorlet.keras import backend
from tensorlet.keras.layers.input_spec import batch_none, shape_str
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops.reduction import reduce_any


def _shapes_str(shapes):
    return " and ".join(shape_str(None if s is None else batch_none(tuple(s))) for s in shapes)


class _Merge(Layer):
    """Base of the merge layers: validates the list of inputs, broadcasts ranks, ORs masks."""

    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _what(self):
        return f"Layer '{self.name}' ({type(self).__name__})"

    def _input_list(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._what()} should be called on a list of inputs. "
                             f"Received: inputs={inputs!r:.100} (not a list of tensors)")
        return list(inputs)

    def _check_mask_list(self, inputs, mask):
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"{self._what()}: `mask` should be a list with one entry per "
                             f"input. Received: mask={mask!r:.100}")

    def _check_list(self, input_shape):
        """The input shapes as a list of tuples (None for unknown rank), checked for count."""
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
                s is None or isinstance(s, (list, tuple)) for s in input_shape) or all(
                s is None for s in input_shape):
            raise ValueError(f"{self._what()} should be called on a list of inputs. "
                             f"Received: input_shape={input_shape}")
        shapes = [None if s is None else tuple(s) for s in input_shape]
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            count = f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs else \
                f"at least {self.min_inputs}"
            raise ValueError(f"{self._what()} should be called on {count} inputs. Received "
                             f"{n} input(s) of shapes {_shapes_str(shapes)}.")
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ValueError(f"{self._what()} cannot merge tensors with different batch sizes. "
                             f"Received shapes {', '.join(map(shape_str, shapes))}.")
        return shapes

    def _elementwise_shape(self, shapes):
        """Per-sample output shape of broadcasting the per-sample input shapes (trailing axes
        aligned), or None when a rank is unknown."""
        out = shapes[0][1:] if shapes[0] is not None else None
        for s in shapes[1:]:
            if out is None or s is None:
                return None
            a, b = (out, s[1:]) if len(out) >= len(s) - 1 else (s[1:], out)
            merged = list(a[:len(a) - len(b)])
            for i, j in zip(a[len(a) - len(b):], b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1:
                    merged.append(j if i == 1 else i)
                elif i != j:
                    raise ValueError(f"{self._what()} got inputs with incompatible shapes: "
                                     f"{_shapes_str(shapes)}. Merged inputs must have equal "
                                     f"shapes (or shapes that broadcast).")
                else:
                    merged.append(i)
            out = tuple(merged)
        return out

    def build(self, input_shape):
        self._elementwise_shape(self._check_list(input_shape))

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        inner = self._elementwise_shape(shapes)
        batches = {s[0] for s in shapes if s} - {None}
        return (batches.pop() if batches else None,) + inner

    def call(self, inputs, mask=None):
        inputs = self._input_list(inputs)
        ranks = [x.shape.ndims for x in inputs]
        if None not in ranks and len(set(ranks)) > 1:
            # Lower-rank inputs get size-1 axes after the batch axis (Keras's rule); their
            # masks no longer line up, so values are merged unmasked.
            top = max(ranks)
            for i, x in enumerate(inputs):
                for _ in range(top - ranks[i]):
                    x = _array.expand_dims(x, 1)
                inputs[i] = x
            mask = None
        if mask is not None and not any(m is not None for m in mask):
            mask = None
        return self._merge(inputs, mask)

    def _merge(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        self._check_mask_list(inputs, mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = _math.logical_or(out, m)
        return out


def _full_mask(mask, x):
    """A (batch, ...) mask broadcast to the shape of `x` (masks cover the leading axes)."""
    for _ in range(x.shape.ndims - mask.shape.ndims):
        mask = _array.expand_dims(mask, -1)
    return _array.broadcast_to(mask, _array.shape(x))


def _masked_or_merge(op, inputs, masks):
    """Keras 3's masked Maximum/Minimum: masked entries take the other operand's value, so only
    unmasked values compete."""
    masks = masks or [None] * len(inputs)
    output, out_mask = None, None
    for x, m in zip(inputs, masks):
        m = None if m is None else _full_mask(m, x)
        if output is None:
            output, out_mask = x, m
            continue
        if m is not None:
            x = _math.where(m, x, output)
        if out_mask is not None:
            output = _math.where(out_mask, output, x)
        out_mask = _math.logical_or(out_mask, m) if m is not None and out_mask is not None \
            else None
        output = op(output, x)
    return output


def _sum(inputs):
    out = inputs[0]
    for x in inputs[1:]:
        out = _math.add(out, x)
    return out


class Add(_Merge):
    """Elementwise sum of the inputs."""

    def _merge(self, inputs, masks):
        return _sum(inputs)


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    min_inputs = max_inputs = 2

    def _merge(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(f"{self._what()} should be called on exactly 2 inputs. Received "
                             f"{len(inputs)} inputs.")
        return _math.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product; masked entries count as 1, and are 0 where every input is masked."""

    def _merge(self, inputs, masks):
        masks = masks or [None] * len(inputs)
        all_masked = all(m is not None for m in masks)
        out, out_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = _full_mask(m, x)
                x = _math.where(m, x, _array.ones_like(x))
                if all_masked:
                    out_mask = m if out_mask is None else _math.logical_or(out_mask, m)
            out = x if out is None else _math.multiply(out, x)
        if all_masked:
            out = _math.where(out_mask, out, _array.zeros_like(out))
        return out


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, inputs, masks):
        return _sum(inputs) / len(inputs)


class Maximum(_Merge):
    """Elementwise maximum of the inputs (of the unmasked ones where masks are given)."""

    def _merge(self, inputs, masks):
        return _masked_or_merge(_math.maximum, inputs, masks)


class Minimum(_Merge):
    """Elementwise minimum of the inputs (of the unmasked ones where masks are given)."""

    def _merge(self, inputs, masks):
        return _masked_or_merge(_math.minimum, inputs, masks)


def _int_axis(value, what, layer):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{layer}: `{what}` must be an integer. Received: {what}={value!r}")
    return int(value)


class Concatenate(_Merge):
    """Joins the inputs along `axis`; all other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_axis(axis, "axis", "Concatenate")

    def _check_shapes(self, input_shape):
        shapes = self._check_list(input_shape)
        if any(s is None for s in shapes):
            return shapes, None
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise ValueError(f"{self._what()} requires inputs of one rank. Received: input "
                             f"shapes {_shapes_str(shapes)}.")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"{self._what()} has axis={self.axis}, out of range for inputs of "
                             f"rank {rank} (shapes {_shapes_str(shapes)}).")
        axis = self.axis % rank
        for i in range(1, rank):
            sizes = {s[i] for s in shapes} - {None}
            if i != axis and len(sizes) > 1:
                raise ValueError(
                    f"{self._what()} requires inputs with matching shapes except for the "
                    f"concatenation axis {self.axis}; axis {i} differs. Received: input shapes "
                    f"{_shapes_str(shapes)}.")
        return shapes, axis

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def compute_output_shape(self, input_shape):
        shapes, axis = self._check_shapes(input_shape)
        if axis is None:
            raise ValueError(f"{self._what()} needs the rank of every input to compute its "
                             f"output shape. Received: input shapes {_shapes_str(shapes)}.")
        out = [next((s[i] for s in shapes if s[i] is not None), None)
               for i in range(len(shapes[0]))]
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def call(self, inputs, mask=None):
        inputs = self._input_list(inputs)
        if len({x.dtype for x in inputs}) > 1:
            inputs = [_math.cast(x, self.compute_dtype) for x in inputs]
        return _array.concat(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        self._check_mask_list(inputs, mask)
        if all(m is None for m in mask):
            return None
        full = [_array.ones_like(x, dtype="bool") if m is None else _full_mask(m, x)
                for x, m in zip(inputs, mask)]
        return reduce_any(_array.concat(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Per-sample dot product of two inputs along `axes` (an int, or one axis per input); with
    `normalize`, the inputs are L2-normalised along those axes first (cosine similarity)."""

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes` of Dot: it should contain "
                                 f"two elements. Received: axes={axes!r}")
            for a in axes:
                _int_axis(a, "axes", "Dot")
        else:
            _int_axis(axes, "axes", "Dot")
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, shapes):
        """The two contracted axes as non-negative ints, checked against the input shapes."""
        s1, s2 = shapes
        for s in shapes:
            if len(s) < 2:
                raise ValueError(f"{self._what()} needs inputs of rank >= 2 (a batch axis and "
                                 f"at least one more). Received: input shapes "
                                 f"{_shapes_str(shapes)}.")
        axes = [self.axes, self.axes] if not isinstance(self.axes, (list, tuple)) else \
            list(self.axes)
        for i, s in enumerate(shapes):
            if not -len(s) <= axes[i] < len(s):
                raise ValueError(f"{self._what()} has axes={self.axes}, out of range for input "
                                 f"{i} of shape {shape_str(batch_none(s))}.")
            axes[i] %= len(s)
        if 0 in axes:
            raise ValueError(f"{self._what()} cannot take the dot product over axis 0 (the "
                             f"batch axis). Received: axes={self.axes}.")
        d1, d2 = s1[axes[0]], s2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"{self._what()} got incompatible input shapes: axis {axes[0]} of the first "
                f"input has size {d1}, axis {axes[1]} of the second has size {d2}. Received: "
                f"input shapes {_shapes_str(shapes)}.")
        return axes

    def build(self, input_shape):
        shapes = self._check_list(input_shape)
        if None not in shapes:
            self._resolve_axes(shapes)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        a1, a2 = self._resolve_axes(shapes)
        s1, s2 = list(shapes[0]), list(shapes[1])
        out = [d for i, d in enumerate(s1) if i != a1] + \
            [d for i, d in enumerate(s2) if i not in (0, a2)]
        if len(out) == 1:
            out.append(1)
        if out[0] is None:
            out[0] = s2[0]
        return tuple(out)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"{self._what()} should be called on a list of exactly 2 inputs. "
                             f"Received: inputs={inputs!r:.100}")
        x, y = inputs
        a1, a2 = self._resolve_axes([tuple(x.shape.dims), tuple(y.shape.dims)])
        if self.normalize:
            eps = backend.epsilon() ** 2  # Keras: x / max(||x||, epsilon)
            x = _nn.l2_normalize(x, axis=a1, epsilon=eps)
            y = _nn.l2_normalize(y, axis=a2, epsilon=eps)
        return _batch_dot(x, y, a1, a2)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _dims(t):
    """Each dimension of `t`: its static size, or a scalar tensor of its run-time size."""
    dyn = None
    out = []
    for i, d in enumerate(t.shape.dims):
        if d is None:
            dyn = _array.shape(t) if dyn is None else dyn
            d = dyn[i]
        out.append(d)
    return out


def _prod(dims):
    """The product of `dims` (an int when all are static, else a scalar tensor)."""
    static = math.prod(d for d in dims if isinstance(d, int))
    tensors = [d for d in dims if not isinstance(d, int)]
    if not tensors:
        return static
    out = tensors[0]
    for t in tensors[1:]:
        out = out * t
    return out if static == 1 else out * static


def _reshape(t, dims):
    """Reshape to `dims` (ints and scalar tensors; dims[0] is the batch)."""
    if all(isinstance(d, int) for d in dims[1:]):
        return _array.reshape(t, [-1] + list(dims[1:]))
    return _array.reshape(t, _array.stack(dims))


def _batch_dot(x, y, a1, a2):
    """sum_k x[b, ..., k, ...] * y[b, ..., k, ...] as one batched matmul: x's contracted axis
    moved last and y's to axis 1, each flattened to rank 3, then unflattened."""
    xn, yn = x.shape.ndims, y.shape.ndims
    x_perm = [i for i in range(xn) if i != a1] + [a1]
    y_perm = [0, a2] + [i for i in range(1, yn) if i != a2]
    xd, yd = _dims(x), _dims(y)
    static = [x.shape.dims[i] for i in x_perm[:-1]] + [y.shape.dims[i] for i in y_perm[2:]]
    if x_perm != list(range(xn)):
        x = _array.transpose(x, x_perm)
    if y_perm != list(range(yn)):
        y = _array.transpose(y, y_perm)
    x_mid = [xd[i] for i in x_perm[1:-1]]
    y_trail = [yd[i] for i in y_perm[2:]]
    k = xd[a1] if isinstance(xd[a1], int) else yd[a2]
    x3 = _reshape(x, [xd[0], _prod(x_mid), k])
    y3 = _reshape(y, [yd[0], k, _prod(y_trail)])
    out = _math.matmul(x3, y3)
    final = [xd[0]] + x_mid + y_trail
    if len(final) == 1:
        final.append(1)
        static.append(1)
    out = _reshape(out, final)
    out.set_shape(static)
    return out


def _functional_form(cls):
    """`name(inputs, **kwargs)`: makes a `cls` layer from kwargs and calls it on `inputs`."""
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = merge.__qualname__ = cls.__name__.lower()
    merge.__doc__ = f"Functional form of `{cls.__name__}`: `{merge.__name__}([a, b, ...])`."
    return merge


add = _functional_form(Add)
subtract = _functional_form(Subtract)  # subtract([a, b]) is a - b
multiply = _functional_form(Multiply)
average = _functional_form(Average)
maximum = _functional_form(Maximum)
minimum = _functional_form(Minimum)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot` (`normalize=` passes through)."""
    return Dot(axes=axes, **kwargs)(inputs)


__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
           "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
