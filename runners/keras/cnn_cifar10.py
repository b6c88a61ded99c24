# cnn-cifar10, Keras 3: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# One file for three backends: KERAS_BACKEND (jax, torch or tensorflow) picks the one that runs.
# The training set lives on the device as backend tensors; each step gathers its batch there and runs
# Keras's own compiled training step (model.train_function, the one fit calls per batch).
# fp32: compile()'s defaults (XLA on JAX, and on TensorFlow with a GPU; eager on PyTorch), TF32 off.
# fast on CUDA: mixed_bfloat16, TF32 and, on PyTorch, jit_compile=True (torch.compile). fast on the
# CPU: the same as fp32 (each of these is slower there: see the notes).

import numpy as np

import rosetta

try:
    import keras
    from keras import layers, ops
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
backend = keras.backend.backend()
cuda = cell.device == "cuda"
# jit_compile=True adds nothing where XLA is the default (JAX; TensorFlow with a GPU)
fast_path = (["jit_compile"] if backend == "torch" else []) + ["mixed_bfloat16", "tf32"] if cell.fast and cuda else []
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

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1] (Keras's layout), int64 labels
with keras.device("gpu:0" if cuda else "cpu:0"):  # backend tensors on the device before any clock (spec rule 8)
    x_train, y_train = ops.convert_to_tensor(data.x_train), ops.convert_to_tensor(data.y_train)
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
#               Training step               #
#############################################

model.optimizer.build(model.trainable_variables)
model.compute_loss(y=y_train[:1], y_pred=model(x_train[:1]))  # builds Keras's loss outside the compiled step, as fit does
model.make_train_function()  # Keras's compiled step (forward, loss, backward, SGD, the loss's running mean)
variables = [model.trainable_variables, model.non_trainable_variables, model.optimizer.variables, model.metrics_variables]
initial = [[v.numpy() for v in group] for group in variables]  # canonical weights, zero momentum and loss mean
dropouts = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
carried = None  # JAX: Keras's step is a pure function of the model's values, carried from step to step (as in fit)


def reset(repeat):
    """Canonical weights, fresh optimizer state and loss mean; repeat r draws its dropout masks from seed + r."""
    global carried
    for variable, value in zip(sum(variables, []), sum(initial, [])):
        variable.assign(value)
    keras.utils.set_random_seed(cell.seed + repeat)  # PyTorch: Keras's dropout draws from torch's generator
    for i, layer in enumerate(dropouts):  # JAX, TensorFlow: from a [seed, step] pair per layer, one seed each
        layer.seed_generator.state.assign([len(dropouts) * (cell.seed + repeat) + i, 0])
    carried = tuple([v.value for v in group] for group in variables) if backend == "jax" else None


def train_step(idx):
    """One step on the batch idx, gathered on the device; returns Keras's running mean of the loss (fit's)."""
    global carried
    batch = [(ops.take(x_train, idx, axis=0), ops.take(y_train, idx, axis=0))]
    if backend == "jax":
        logs, carried = model.train_function(carried, iter(batch))
    else:
        logs = model.train_function(batch)
    return logs["loss"]


def restart_loss_mean():
    """As fit at each epoch's start: Keras's running mean of the loss starts again."""
    global carried
    model.reset_metrics()
    if backend == "jax":
        carried = (*carried[:3], [v.value for v in model.metrics_variables])


def trained_model():
    """The model with the trained values in its variables (JAX: written back, as fit does after an epoch)."""
    if backend == "jax":
        for variable, value in zip(sum(variables, []), sum(carried, [])):
            variable.assign(value)
    return model

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=500):  # untimed: predict batches the test set from the host
    logits = trained_model().predict(data.x_test, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, 1) == data.y_test))


with keras.device("gpu:0" if cuda else "cpu:0"):  # one device tensor per step, made before the clock
    batches = [[ops.convert_to_tensor(i) for i in rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, e)] for e in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # tracing and compilation happen here, untimed
    reset(0)
    for idx in batches[0][:rosetta.WARMUP_STEPS]:
        train_step(idx)

epoch_seconds, loss_per_epoch, accuracies = [], [], []
for repeat in rosetta.repeats(cell):
    reset(repeat)
    seconds, losses = [], []
    for epoch in range(hp.epochs):
        restart_loss_mean()
        with rosetta.timed(sync) as timer:  # no progress events in here (spec rule 9)
            step_losses = [train_step(idx) for idx in batches[epoch]]
        seconds.append(timer.seconds)
        losses.append(float(step_losses[-1]))  # the running mean after the epoch's last step: the epoch's mean
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

tf32 = {"jax": lambda: jax.config.jax_default_matmul_precision in (None, "default", "tensorfloat32"),  # unset: TF32 on CUDA
        "torch": lambda: torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32,
        "tensorflow": lambda: tf.config.experimental.tensor_float_32_execution_enabled()}[backend]()  # read back, not declared
fast_path = [p for p in fast_path if p != "jit_compile" or model.jit_compile]
notes = [] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (mixed_bfloat16 is slower without bf16 units; "
                                          "jit_compile=True is slower too: XLA's CPU convolutions on TensorFlow, torch.compile on PyTorch; "
                                          "XLA is JAX's default)"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("host" if "cpu" in str(x_train.device).lower() else "device"),
    environment=rosetta.environment(cell, f"{keras.__version__} ({version})", cuda=cuda_version, cudnn=cudnn_version, tf32=cuda and tf32),
    notes=notes,
)
