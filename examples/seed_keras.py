"""The seed document's Keras program, with only its imports changed (keras -> tensorlet.keras).

The seed builds the model and stops there; the lines after the marked block compile it and
train it briefly on random 784-feature data so that the program does something.
"""
# ruff: noqa: I001  (the seed's import lines are kept exactly, in the seed's order)
import numpy as np

# -- the seed's program ----------------------------------------------------------------------
from tensorlet.keras.models import Sequential
from tensorlet.keras.layers import Dense, Dropout, Activation, Flatten  # noqa: F401

model = Sequential()
model.add(Dense(32, input_dim=784))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(10))
model.add(Activation('softmax'))
# ----------------------------------------------------------------------------------------------

model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
rng = np.random.default_rng(0)
x = rng.random((256, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 256)]
model.fit(x, y, epochs=2, batch_size=32, verbose=2)
model.summary()
print(model.predict(x[:3], verbose=0).round(3))
