"""The seed document's two TensorFlow programs, with only the import changed."""
import tensorlet as tf

# 3.2.1 Placeholder
a = tf.placeholder(tf.float32, shape=[None, 1])
b = tf.constant([[1], [2]])
c = a + b
with tf.Session() as sess:
    print(sess.run(c, {a: [[3]]}))  # output: [[4.], [5.]]

# 3.2.2 Variable
v = tf.Variable([1, 2])
assign_op = v.assign([3, 4])
init_op = tf.global_variables_initializer()
with tf.Session() as sess:
    sess.run(init_op)
    for _ in range(3):
        print(sess.run(v), sess.run(assign_op))
        sess.run(tf.assign_add(v, [-1, -1]))
