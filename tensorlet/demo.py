"""`python -m tensorlet.demo`: the seed document's Keras model trained on the bundled digits.

The model is the seed's (Dense 32 -> relu -> Dropout 0.5 -> Dense 10 -> softmax) with
`input_dim=64` for the 8x8 digits; it trains with a progress bar, then prints the test accuracy
and a one-line summary. It needs no download and takes about a second.
"""
import time

from tensorlet import keras
from tensorlet.keras.layers import Activation, Dense, Dropout
from tensorlet.keras.models import Sequential

EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 5e-3


def build_model():
    """The seed's Sequential model, for 64 input features."""
    model = Sequential()
    model.add(Dense(32, input_dim=64))
    model.add(Activation("relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


def load_digits():
    """The bundled digits as float32 vectors of 64 values in [0, 1] and integer labels."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    return ((x_train.reshape(-1, 64).astype("float32") / 16, y_train),
            (x_test.reshape(-1, 64).astype("float32") / 16, y_test))


def run(epochs=EPOCHS, verbose=1, seed=0):
    """Train and evaluate; returns (test loss, test accuracy, seconds spent in fit)."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return model, loss, accuracy, seconds


def main():
    model, loss, accuracy, seconds = run()
    print(f"Test accuracy: {accuracy:.4f}")
    print(f"{model.name}: {len(model.layers)} layers, {model.count_params():,} params, "
          f"{EPOCHS} epochs on {len(load_digits()[0][0]):,} digits in {seconds:.1f} s; "
          f"test loss {loss:.4f}, test accuracy {accuracy:.2%}")


if __name__ == "__main__":
    main()
