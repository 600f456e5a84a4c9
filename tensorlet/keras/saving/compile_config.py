"""A model's `compile_config` (Keras 3's format) and re-compiling a model from it.

The config holds the arguments `compile` received (optimizer, loss, loss_weights, metrics,
weighted_metrics) serialised as Keras does, so a loaded model trains on with the same
optimizer settings; the optimizer is built at once so its saved state can be loaded into it.
"""
from tensorlet.keras.saving import serialization

_FAMILIES = {"optimizer": "optimizers", "loss": "losses", "metrics": "metrics",
             "weighted_metrics": "metrics"}


def get_compile_config(model):
    """Keras 3's compile_config of a compiled model."""
    state = model._compile_state
    ser = serialization.serialize_keras_object
    return {"optimizer": ser(state.optimizer), "loss": ser(state.loss_config),
            "loss_weights": ser(state.loss_weights_config), "metrics": ser(state.metrics_config),
            "weighted_metrics": ser(state.weighted_metrics_config), "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def compile_from_config(model, config):
    """Compile `model` from a compile_config (names resolved through the allow-list) and build
    its optimizer when the model is built."""
    if not isinstance(config, dict):
        raise ValueError(f"A compile_config must be a dict, got {type(config).__name__}")
    args = {}
    for key, family in _FAMILIES.items():
        if config.get(key) is not None:
            args[key] = serialization._deserialize(config[key], family)
    if config.get("loss_weights") is not None:
        args["loss_weights"] = config["loss_weights"]
    if "optimizer" not in args:
        args["optimizer"] = "rmsprop"
    model.compile(**args)
    build_optimizer(model)


def build_optimizer(model):
    """Create the optimizer's slot variables for the model's trainable weights (so that saved
    optimizer state can be loaded before any training step)."""
    opt = getattr(model, "optimizer", None)
    if opt is None or not model.built:
        return
    variables = model.trainable_weights
    if variables and not opt.built:
        opt.build(variables)
