"""Issue 2's examples: TF 1.x training loops that must converge with tf.train optimizers."""
import numpy as np

import tensorlet as tf
from tensorlet.keras.datasets import digits


def _digits():
    (x, y), (xt, yt) = digits.load_data()

    def flat(a):
        return (a.reshape(len(a), -1) / 16.0).astype(np.float32)
    return flat(x), y.astype(np.int64), flat(xt), yt.astype(np.int64)


def test_linear_regression_with_gradient_descent():
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, (200, 1)).astype(np.float32)
    ys = (3.0 * xs + 2.0 + 0.01 * rng.standard_normal((200, 1))).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 1])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(tf.zeros([1, 1]))
    b = tf.Variable(tf.zeros([1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(200):
            sess.run(train, {x: xs, y: ys})
        w_, b_, l_ = sess.run([w, b, loss], {x: xs, y: ys})
    assert abs(w_[0, 0] - 3.0) < 0.01 and abs(b_[0] - 2.0) < 0.01
    assert l_ < 2e-4


def test_softmax_regression_with_adam_on_digits():
    x_train, y_train, x_test, y_test = _digits()
    x = tf.placeholder(tf.float32, [None, 64])
    y = tf.placeholder(tf.int64, [None])
    w = tf.Variable(tf.zeros([64, 10]))
    b = tf.Variable(tf.zeros([10]))
    logits = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    gs = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: x_train, y: y_train})
        for _ in range(150):
            sess.run(train, {x: x_train, y: y_train})
        last, acc = sess.run([loss, accuracy], {x: x_train, y: y_train})
        test_acc = sess.run(accuracy, {x: x_test, y: y_test})
        assert sess.run(gs) == 150
    assert first > 2.2 and last < 0.15
    assert acc > 0.97 and test_acc > 0.93


def test_two_layer_mlp_from_raw_ops():
    x_train, y_train, _, _ = _digits()
    rng = np.random.default_rng(1)
    x = tf.placeholder(tf.float32, [None, 64])
    y = tf.placeholder(tf.int64, [None])
    w1 = tf.Variable(rng.normal(0, 0.2, (64, 64)).astype(np.float32))
    b1 = tf.Variable(tf.zeros([64]))
    w2 = tf.Variable(rng.normal(0, 0.2, (64, 10)).astype(np.float32))
    b2 = tf.Variable(tf.zeros([10]))
    hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(hidden, w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(12):
            order = rng.permutation(len(x_train))
            for i in range(0, len(order), 64):
                idx = order[i:i + 64]
                sess.run(train, {x: x_train[idx], y: y_train[idx]})
        acc = sess.run(accuracy, {x: x_train, y: y_train})
    assert acc > 0.99
