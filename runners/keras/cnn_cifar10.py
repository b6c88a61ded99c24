# cnn-cifar10, Keras 3: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# One file for three backends: KERAS_BACKEND (jax, torch or tensorflow) picks the one that runs.
# fp32: model.fit with compile()'s defaults, TF32 off. fast: jit_compile=True (XLA on JAX and
# TensorFlow, torch.compile on PyTorch) (+ mixed_bfloat16 and TF32 on CUDA).

import numpy as np

import rosetta

try:
    import keras
    from keras import layers
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
backend = keras.backend.backend()
cuda = cell.device == "cuda"
fast_path = ["jit_compile"] + (["mixed_bfloat16", "tf32"] if cuda else [])
fast_path = fast_path if cell.fast else []
tf32 = "tf32" in fast_path
if backend == "jax":
    import jax
    jax.config.update("jax_default_matmul_precision", "tensorfloat32" if tf32 else "highest")
    sync, on_gpu = lambda: jax.block_until_ready(jax.live_arrays()), jax.default_backend() == "gpu"
    version, cuda_version, cudnn_version = f"jax {jax.__version__}", None, None
elif backend == "torch":
    import torch
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    sync, on_gpu = torch.cuda.synchronize if cuda else rosetta.no_sync, torch.cuda.is_available()
    version, cuda_version, cudnn_version = f"torch {torch.__version__}", torch.version.cuda, torch.backends.cudnn.version()
else:
    import tensorflow as tf
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    sync, on_gpu, build = tf.test.experimental.sync_devices, bool(tf.config.list_physical_devices("GPU")), tf.sysconfig.get_build_info()
    version, cuda_version, cudnn_version = f"tensorflow {tf.__version__}", build.get("cuda_version"), build.get("cudnn_version")
if cuda != on_gpu:
    raise RuntimeError(f"the cell asks for {cell.device} but Keras's {backend} backend {'sees no' if cuda else 'would run on a'} GPU")
keras.mixed_precision.set_global_policy("mixed_bfloat16" if "mixed_bfloat16" in fast_path else "float32")
keras.utils.set_random_seed(cell.seed)  # the seeds of the dropout layers

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1] (Keras's layout), int64 labels; on the host: fit copies each batch
steps = len(data.x_train) // hp.batch_size

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


# The canonical layout is Keras's own (HWIO kernels, (in, out) dense, NHWC flatten): no conversion.
canonical = rosetta.canonical_weights("cnn")
model = CNN()
for layer in model.layers:
    if layer.weights:
        layer.set_weights([canonical[f"{layer.name}.kernel"], canonical[f"{layer.name}.bias"]])
param_count = model.count_params()
model.compile(optimizer=keras.optimizers.SGD(hp.lr, momentum=hp.momentum, nesterov=False),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              jit_compile=True if "jit_compile" in fast_path else "auto")

#############################################
#          Training and evaluation          #
#############################################

model.optimizer.build(model.trainable_variables)
state = model.variables + model.optimizer.variables  # weights, dropout seeds, momentum
initial_state = [v.numpy() for v in state]


def reset():
    """Canonical weights, fresh optimizer state, same dropout masks: every repeat starts alike."""
    for variable, value in zip(state, initial_state):
        variable.assign(value)
    keras.utils.set_random_seed(cell.seed)  # on PyTorch, Keras's dropout draws from torch's global generator


def epoch_data(epoch, steps=steps):
    """The epoch's training data in rosetta's order (the same in every framework), the last
    incomplete batch dropped: fit's own shuffle is off."""
    order = rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, epoch)[:steps].ravel()
    return data.x_train[order], data.y_train[order]


def fit(x, y):
    return model.fit(x, y, batch_size=hp.batch_size, epochs=1, shuffle=False, verbose=0)


def evaluate(batch_size=500):
    logits = model.predict(data.x_test, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, 1) == data.y_test))


with rosetta.timed(sync) as warmup:  # tracing and compilation happen here, untimed
    fit(*epoch_data(0, rosetta.WARMUP_STEPS))
    rosetta.progress("warmup", step=rosetta.WARMUP_STEPS, steps=rosetta.WARMUP_STEPS, every=1)

epoch_seconds, loss_per_epoch, accuracies = [], [], []
for repeat in rosetta.repeats(cell):
    seconds, losses = [], []
    reset()
    for epoch in range(hp.epochs):
        progress = dict(repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, steps=steps)
        x, y = epoch_data(epoch)
        with rosetta.timed(sync) as timer:
            history = fit(x, y)
        seconds.append(timer.seconds)
        losses.append(history.history["loss"][0])
        rosetta.progress("train", step=steps, loss=losses[-1], every=1, **progress)
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

fast_path = [p for p in fast_path if p != "jit_compile" or model.jit_compile]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("host"),
    environment=rosetta.environment(cell, f"{keras.__version__} ({version})", cuda=cuda_version, cudnn=cudnn_version, tf32=tf32),
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: no mixed_bfloat16 (slower than fp32 on CPUs without bf16 units)"],
)
