# cnn-cifar10, TensorFlow 2: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# A custom training loop: Keras layers as building blocks, a tf.function step with tf.GradientTape
# (no fit). fp32: graph mode, TF32 off. fast on CUDA: XLA (jit_compile=True), mixed_bfloat16 and TF32;
# fast on the CPU: the same as fp32 (XLA's CPU convolutions are slower than oneDNN's).

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
fast_path = ["XLA", "mixed_bfloat16", "tf32"] if cell.fast and cuda else []  # fp32: graph mode, TF32 off
tf.config.experimental.enable_tensor_float_32_execution("tf32" in fast_path)
keras.mixed_precision.set_global_policy("mixed_bfloat16" if "mixed_bfloat16" in fast_path else "float32")

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1] (TensorFlow's layout), int64 labels
with tf.device("/GPU:0" if cuda else "/CPU:0"):  # on the device before any clock (spec rule 8)
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
#               Training step               #
#############################################

optimizer = keras.optimizers.SGD(hp.lr, momentum=hp.momentum, nesterov=False)
optimizer.build(net.trainable_variables)
state = net.variables + optimizer.variables  # weights and momentum
initial_state = [v.numpy() for v in state]
dropouts = [layer for layer in net.layers if isinstance(layer, layers.Dropout)]
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def reset(repeat):
    """Canonical weights and fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    for variable, value in zip(state, initial_state):
        variable.assign(value)
    for i, layer in enumerate(dropouts):  # Keras's dropout RNG: a [seed, step] pair per layer, one seed each
        layer.seed_generator.state.assign([len(dropouts) * (cell.seed + repeat) + i, 0])


@tf.function(jit_compile="XLA" in fast_path)
def train_step(idx):
    with tf.GradientTape() as tape:
        loss = cross_entropy(tf.gather(y_train, idx), net(tf.gather(x_train, idx), training=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    return loss

#############################################
#          Training and evaluation          #
#############################################

@tf.function(jit_compile="XLA" in fast_path)
def correct(x, y):
    return tf.reduce_sum(tf.cast(tf.argmax(net(x, training=False), 1) == y, tf.int64))


def evaluate(batch_size=500):
    hits = sum(correct(x_test[i:i + batch_size], y_test[i:i + batch_size]) for i in range(0, len(x_test), batch_size))
    return int(hits) / len(x_test)


with tf.device(x_train.device):  # one device tensor per step, split before the clock: no eager op in the timed loop
    batches = [tf.unstack(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, e)) for e in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # tracing (and XLA compilation) happen here, untimed
    reset(0)
    for idx in batches[0][:rosetta.WARMUP_STEPS]:
        train_step(idx)

epoch_seconds, loss_per_epoch, accuracies = [], [], []
for repeat in rosetta.repeats(cell):
    reset(repeat)
    seconds, losses = [], []
    for epoch in range(hp.epochs):
        with rosetta.timed(sync) as timer:  # no progress events in here (spec rule 9)
            step_losses = [train_step(idx) for idx in batches[epoch]]
        seconds.append(timer.seconds)
        losses.append(float(tf.reduce_mean(tf.stack(step_losses))))
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
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
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if "GPU" in x_train.device else "host"),
    environment=rosetta.environment(cell, tf.__version__, cuda=build.get("cuda_version"), cudnn=build.get("cudnn_version"),
                                    tf32=cuda and tf.config.experimental.tensor_float_32_execution_enabled()),  # read back
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (no XLA: its CPU convolutions made the "
                                            "step 3 to 4x slower than oneDNN's; no mixed_bfloat16, as in the other runners)"],
)
