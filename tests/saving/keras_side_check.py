"""Run by test_keras_interop.py under a Python that has Keras 3: loads the files tensorlet
wrote in a directory and reports, as JSON on stdout, how Keras's predictions (and Keras's
training after loading) compare with the ones tensorlet recorded.

    python keras_side_check.py DIR
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(directory):
    import numpy as np

    import keras
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    report = {}
    for name, entry in manifest.items():
        io = np.load(os.path.join(directory, f"{name}_io.npz"))
        xs = [io[f"x{i}"] for i in range(entry["inputs"])]
        x = xs if len(xs) > 1 else xs[0]
        try:
            model = keras.models.load_model(os.path.join(directory, f"{name}.keras"))
            y = model.predict(x, verbose=0)
            y = y[0] if isinstance(y, list) else y
            result = {"keras": float(np.abs(y - io["y"]).max()),
                      "iterations": int(model.optimizer.iterations.numpy())
                      if model.optimizer is not None else None}
            clone = keras.models.load_model(os.path.join(directory, f"{name}.keras"),
                                            compile=False)
            for w in clone.weights:
                w.assign(np.zeros(w.shape, w.dtype))
            clone.load_weights(os.path.join(directory, f"{name}.weights.h5"))
            y = clone.predict(x, verbose=0)
            result["weights_h5"] = float(np.abs((y[0] if isinstance(y, list) else y)
                                                - io["y"]).max())
            if entry.get("legacy"):
                legacy = keras.models.load_model(os.path.join(directory, f"{name}.h5"))
                y = legacy.predict(x, verbose=0)
                result["legacy_h5"] = float(np.abs((y[0] if isinstance(y, list) else y)
                                                   - io["y"]).max())
            if entry.get("continue"):
                ys = [io[f"t{i}"] for i in range(entry["outputs"])]
                model.fit(x, ys if len(ys) > 1 else ys[0], epochs=1, batch_size=4,
                          shuffle=False, verbose=0)
                y = model.predict(x, verbose=0)
                result["continued"] = float(np.abs((y[0] if isinstance(y, list) else y)
                                                   - io["after"]).max())
        except Exception as e:  # reported to the test, which fails with the message
            result = {"error": f"{type(e).__name__}: {e}"[:2000]}
        report[name] = result
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
