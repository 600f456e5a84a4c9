"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts."""
import numpy as np

from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.input_layer import InputLayer

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def readable_memory_size(num_bytes):
    """'99.41 KB' (1024-based, two decimals), as Keras prints sizes."""
    size, i = float(num_bytes), 0
    while size >= 1024 and i < len(_UNITS) - 1:
        size /= 1024
        i += 1
    return f"{size:.2f} {_UNITS[i]}"


def _count(weights):
    return int(sum(int(np.prod(w.shape.as_list(), dtype=np.int64)) for w in weights))


def _bytes(weights):
    return int(sum(int(np.prod(w.shape.as_list(), dtype=np.int64)) * w.dtype.size
                   for w in weights))


def _shape_text(layer):
    if isinstance(layer, InputLayer):
        shapes = [layer.batch_shape]
    elif layer._inbound_nodes:
        shapes = [t.shape.dims for t in layer._inbound_nodes[0].output_tensors]
    elif getattr(layer, "output_shape", None) is not None:
        shapes = [layer.output_shape]
    else:
        return "?"
    texts = [_one_shape(s) for s in shapes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _one_shape(dims):
    if dims is None:
        return "?"
    dims = list(dims)
    if dims:
        dims[0] = None
    inner = ", ".join("None" if d is None else str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


def _connections(layer, model):
    """'dense[0][0], b[0][0]': the layer outputs each call of `layer` in `model` reads,
    looking through core ops applied between layers."""
    parts = []
    dependent = getattr(model, "_dependent", set())
    for node in layer._inbound_nodes:
        if not all(t in dependent for t in node.output_tensors):
            continue
        for t in node.input_tensors:
            for src, src_node, index in _layer_sources(t):
                ref = f"{src.name}[{src._inbound_nodes.index(src_node)}][{index}]"
                if ref not in parts:
                    parts.append(ref)
    return ", ".join(parts) if parts else "-"


def _layer_sources(tensor):
    """The (layer, node, index) histories that `tensor` is computed from."""
    out, stack, seen = [], [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        h = _node.keras_history(t)
        if h is not None:
            out.append(h)
        else:
            stack.extend(reversed(t.op.inputs))
    return out


def _is_sequential_like(model):
    from tensorlet.keras.models.sequential import Sequential
    if isinstance(model, Sequential) or not hasattr(model, "_flat_inputs"):
        return True
    if len(model._flat_inputs) != 1 or len(model._flat_outputs) != 1:
        return False
    return all(len(layer._inbound_nodes[0].input_tensors) <= 1 if layer._inbound_nodes else True
               for layer in model.layers)


def _box(widths, left, mid, right, fill):
    return left + mid.join(fill * (w + 2) for w in widths) + right


def _row(cells, widths, sep, aligns):
    out = []
    for text, w, align in zip(cells, widths, aligns):
        text = text if len(text) <= w else text[:w - 1] + "…"
        out.append(" " + (text.rjust(w) if align == "r" else text.ljust(w)) + " ")
    return sep + sep.join(out) + sep


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  show_trainable=False):
    """Print (or pass to `print_fn`, one line at a time) the summary table of `model`."""
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if not sequential_like:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    line_length = line_length or (88 if sequential_like else 108)
    positions = positions or ([0.45, 0.84, 1.0] if sequential_like else
                              [0.3, 0.55, 0.67, 1.0])
    if show_trainable:
        positions = list(positions) + [1.0]
        line_length += 11
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    edges = [0] + list(positions)
    widths = [max(edges[i + 1] - edges[i] - 3, len(headers[i]) if i < len(headers) else 4)
              for i in range(len(headers))]
    if show_trainable:
        widths[-1] = 9
    aligns = ["l", "l", "r", "l", "l"][:len(headers)]
    layers = model.layers
    rows = []
    for layer in layers:
        if sequential_like and isinstance(layer, InputLayer):
            continue
        params = str(f"{layer.count_params():,}") if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _shape_text(layer), params]
        if not sequential_like:
            row.append(_connections(layer, model))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    lines = [f'Model: "{model.name}"',
             _box(widths, "┏", "┳", "┓", "━"),
             _row(headers, widths, "┃", aligns),
             _box(widths, "┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        lines.append(_row(row, widths, "│", aligns))
        if i + 1 < len(rows):
            lines.append(_box(widths, "├", "┼", "┤", "─"))
    lines.append(_box(widths, "└", "┴", "┘", "─"))
    weights = model.weights if model.built else []
    trainable = model.trainable_weights if model.built else []
    trainable_ids = {id(w) for w in trainable}
    non_trainable = [w for w in weights if id(w) not in trainable_ids]
    lines.append(f" Total params: {_count(weights):,} ({readable_memory_size(_bytes(weights))})")
    lines.append(f" Trainable params: {_count(trainable):,} "
                 f"({readable_memory_size(_bytes(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} "
                 f"({readable_memory_size(_bytes(non_trainable))})")
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "built", False):
        ov = list(opt.variables)
        lines.append(f" Optimizer params: {_count(ov):,} ({readable_memory_size(_bytes(ov))})")
    for line in lines:
        print_fn(line)
