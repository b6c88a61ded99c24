# gru-imdb, Keras 3: trains an embedding, one GRU layer and a dense classifier on IMDB sentiment with
# Adam from the canonical initial weights and measures the training time of all epochs (the clock
# stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# One file for three backends: KERAS_BACKEND (jax, torch or tensorflow) picks the one that runs.
# The training set lives on the device as backend tensors; each step gathers its batch there and runs
# Keras's own compiled training step (model.train_function, the one fit calls per batch).
# fp32: compile()'s defaults (XLA on JAX, and on TensorFlow with a GPU; eager on PyTorch), TF32 off.
# fast: mixed_bfloat16 and TF32 on CUDA. The cuDNN GRU, where a backend has one, is checked on the trained layer.

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
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon, vocab_size, seq_len, embed_dim, hidden, repeats
backend = keras.backend.backend()
cuda = cell.device == "cuda"
fast_path = ["mixed_bfloat16", "tf32"] if cell.fast and cuda else []  # no jit_compile: see the notes
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

data = rosetta.load_imdb(cell)  # int32 token ids (n, seq_len), padded at the front; int64 labels
with keras.device("gpu:0" if cuda else "cpu:0"):  # backend tensors on the device before any clock (spec rule 8)
    x_train, y_train = ops.convert_to_tensor(data.x_train), ops.convert_to_tensor(data.y_train)
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

def GRUClassifier():
    return keras.Sequential([
        keras.Input((hp.seq_len,), dtype="int32"),
        layers.Embedding(hp.vocab_size, hp.embed_dim, name="embedding"),
        layers.GRU(hp.hidden, reset_after=True, name="gru"),  # the cuDNN formulation; no mask: padding is read
        layers.Dense(2, name="dense"),
    ])


def keras_gru(w):
    """Canonical per-gate weights to Keras's: gates in Keras's order z, r, h (h: the canonical n), biases stacked."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{gate}"] for gate in "zrn"], axis=-1)
    return [gates("input_kernel"), gates("recurrent_kernel"), np.stack([gates("input_bias"), gates("recurrent_bias")])]


canonical = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
model = GRUClassifier()
model.get_layer("embedding").set_weights([canonical["embedding.table"]])
model.get_layer("gru").set_weights(keras_gru(canonical))
model.get_layer("dense").set_weights([canonical["dense.kernel"], canonical["dense.bias"]])
param_count = model.count_params()
model.compile(optimizer=keras.optimizers.Adam(hp.lr, beta_1=hp.beta1, beta_2=hp.beta2, epsilon=hp.epsilon),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # jit_compile="auto": see the notes

#############################################
#               Training step               #
#############################################

model.optimizer.build(model.trainable_variables)
model.compute_loss(y=y_train[:1], y_pred=model(x_train[:1]))  # builds Keras's loss outside the compiled step, as fit does
model.make_train_function()  # Keras's compiled step (forward, loss, backward, Adam, the loss's running mean)
variables = [model.trainable_variables, model.non_trainable_variables, model.optimizer.variables, model.metrics_variables]
initial = [[v.numpy() for v in group] for group in variables]  # canonical weights, zero moments, step and loss mean
carried = None  # JAX: Keras's step is a pure function of the model's values, carried from step to step (as in fit)


def reset(repeat):
    """Canonical weights, fresh optimizer state and loss mean (the GRU has no dropout: repeats differ only in timing)."""
    global carried
    for variable, value in zip(sum(variables, []), sum(initial, [])):
        variable.assign(value)
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

def fused_rnn():
    """Verified on the layer that trained: JAX's GRU is a lax.scan; PyTorch's and TensorFlow's leave cuDNN silently."""
    if not cuda or backend == "jax":
        return False
    gru, x = model.get_layer("gru"), model.get_layer("embedding")(data.x_test[:hp.batch_size])
    if backend == "torch":  # the profiler names the kernel of a training-mode call
        with torch.profiler.profile() as profile:
            gru(x, training=True)
        return any(event.key == "aten::_cudnn_rnn" for event in profile.key_averages())
    gru.use_cudnn = True  # TensorFlow: the layer now raises where it would fall back
    try:
        return gru(x, training=True) is not None
    except ValueError:
        return False


tf32 = {"jax": lambda: jax.config.jax_default_matmul_precision in (None, "default", "tensorfloat32"),  # unset: TF32 on CUDA
        "torch": lambda: torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32,
        "tensorflow": lambda: tf.config.experimental.tensor_float_32_execution_enabled()}[backend]()  # read back, not declared
notes = [] if not cell.fast else [("" if cuda else "fast mode on the CPU: the same as fp32 (mixed_bfloat16 is slower there); ")
                                  + "no jit_compile=True: XLA is the default on JAX and on TensorFlow with a GPU, slower on "
                                    "TensorFlow's CPU; torch.compile would unroll the GRU's loop (minutes) and bypass cuDNN"]
notes += ["Keras's Adam adds epsilon to sqrt(v) before the bias correction (the spec after it): more weight where sqrt(v) is tiny"]
notes += ["Keras's JAX GRU is a lax.scan, not cuDNN: no fused RNN"] if backend == "jax" and cuda else []
notes += ["Keras's Adam on TensorFlow squares the embedding's sparse gradient per token occurrence, not per row"] if backend == "tensorflow" else []
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=fused_rnn(), data=data.identity("host" if "cpu" in str(x_train.device).lower() else "device"),
    environment=rosetta.environment(cell, f"{keras.__version__} ({version})", cuda=cuda_version, cudnn=cudnn_version, tf32=cuda and tf32),
    notes=notes,
)
