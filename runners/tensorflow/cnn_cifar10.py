# cnn-cifar10, TensorFlow 2: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# A custom training loop: Keras layers as building blocks, a tf.function step with tf.GradientTape
# (no fit). fp32: graph mode, TF32 off. fast: XLA (jit_compile=True) (+ mixed_bfloat16 and TF32 on CUDA).

import numpy as np

import rosetta

try:
    import tensorflow as tf
    import keras
    from keras import layers
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
cuda = cell.device == "cuda"
if cuda != bool(tf.config.list_physical_devices("GPU")):
    raise RuntimeError(f"the cell asks for {cell.device} but TensorFlow {'sees no' if cuda else 'would run on a'} GPU")
sync = tf.test.experimental.sync_devices
fast_path = ["XLA"] + (["mixed_bfloat16", "tf32"] if cuda else [])
fast_path = fast_path if cell.fast else []
tf.config.experimental.enable_tensor_float_32_execution("tf32" in fast_path)
keras.mixed_precision.set_global_policy("mixed_bfloat16" if "mixed_bfloat16" in fast_path else "float32")
keras.utils.set_random_seed(cell.seed)  # the seeds of the dropout layers

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1] (TensorFlow's layout), int64 labels
x_train, y_train = tf.constant(data.x_train), tf.constant(data.y_train)
x_test, y_test = tf.constant(data.x_test), tf.constant(data.y_test)
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

def CNN():
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(50, 3, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(50, 3, padding="same", activation="relu", name="conv2"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(100, 3, padding="same", activation="relu", name="conv3"),
        layers.Conv2D(100, 3, padding="same", activation="relu", name="conv4"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, activation="relu", name="dense1"),
        layers.Dropout(0.5),
        layers.Dense(10, name="dense2"),
    ])


# The canonical layout is TensorFlow's own (HWIO kernels, (in, out) dense, NHWC flatten): no conversion.
canonical = rosetta.canonical_weights("cnn")
net = CNN()
for layer in net.layers:
    if layer.weights:
        layer.set_weights([canonical[f"{layer.name}.kernel"], canonical[f"{layer.name}.bias"]])
param_count = net.count_params()

#############################################
#          Training and evaluation          #
#############################################

optimizer = keras.optimizers.SGD(hp.lr, momentum=hp.momentum, nesterov=False)
optimizer.build(net.trainable_variables)
state = net.variables + optimizer.variables  # weights, dropout seeds, momentum
initial_state = [v.numpy() for v in state]
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def reset():
    """Canonical weights, fresh optimizer state, same dropout masks: every repeat starts alike."""
    for variable, value in zip(state, initial_state):
        variable.assign(value)


@tf.function(jit_compile="XLA" in fast_path)
def train_step(idx):
    with tf.GradientTape() as tape:
        loss = cross_entropy(tf.gather(y_train, idx), net(tf.gather(x_train, idx), training=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    return loss


@tf.function(jit_compile="XLA" in fast_path)
def correct(x, y):
    return tf.reduce_sum(tf.cast(tf.argmax(net(x, training=False), 1) == y, tf.int64))


def evaluate(batch_size=500):
    hits = sum(correct(x_test[i:i + batch_size], y_test[i:i + batch_size]) for i in range(0, len(x_test), batch_size))
    return int(hits) / len(x_test)


batches = [tf.constant(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, e)) for e in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # tracing and XLA compilation happen here, untimed
    reset()
    for step, idx in enumerate(batches[0][:rosetta.WARMUP_STEPS], start=1):
        train_step(idx)
        rosetta.progress("warmup", step=step, steps=rosetta.WARMUP_STEPS, every=1)

epoch_seconds, loss_per_epoch, accuracies = [], [], []
for repeat in rosetta.repeats(cell):
    seconds, losses = [], []
    reset()
    for epoch in range(hp.epochs):
        progress = dict(repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, steps=steps)
        total_loss = tf.zeros(())
        with rosetta.timed(sync) as timer:
            for step, idx in enumerate(batches[epoch], start=1):
                total_loss += train_step(idx)
                rosetta.progress("train", step=step, **progress)
        seconds.append(timer.seconds)
        losses.append(float(total_loss) / steps)
        rosetta.progress("train", loss=losses[-1], **progress)
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

build = tf.sysconfig.get_build_info()
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=rosetta.environment(cell, tf.__version__, cuda=build.get("cuda_version"), cudnn=build.get("cudnn_version"),
                                    tf32="tf32" in fast_path),
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: no mixed_bfloat16 (slower than fp32 on CPUs without bf16 units)"],
)
