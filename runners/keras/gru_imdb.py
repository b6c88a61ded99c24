# gru-imdb, Keras 3: trains an embedding, one GRU layer and a dense classifier on IMDB sentiment with
# Adam from the canonical initial weights and measures the training time of all epochs (the clock
# stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# One file for three backends: KERAS_BACKEND (jax, torch or tensorflow) picks the one that runs.
# fp32: model.fit with compile()'s defaults, TF32 off. fast: jit_compile=True (XLA) on JAX and
# TensorFlow, no torch.compile on PyTorch (+ mixed_bfloat16 and TF32 on CUDA).

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
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon, vocab_size, seq_len, embed_dim, hidden, repeats
backend = keras.backend.backend()
cuda = cell.device == "cuda"
# torch.compile would unroll the GRU's Python loop (minutes of compilation) and bypass cuDNN: not used
fast_path = (["jit_compile"] if backend != "torch" else []) + (["mixed_bfloat16", "tf32"] if cuda else [])
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
keras.utils.set_random_seed(cell.seed)  # the seeds Keras draws for its layers

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # int32 token ids (n, seq_len), padded at the front; int64 labels; on the host: fit copies each batch
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
    """Canonical per-gate GRU weights to Keras's: gates concatenated in Keras's order z, r, h (h is
    the canonical n), the input and recurrent biases stacked into one (2, 3 * hidden) bias."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{gate}"] for gate in "zrn"], axis=-1)
    return [gates("input_kernel"), gates("recurrent_kernel"), np.stack([gates("input_bias"), gates("recurrent_bias")])]


canonical = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
model = GRUClassifier()
model.get_layer("embedding").set_weights([canonical["embedding.table"]])
model.get_layer("gru").set_weights(keras_gru(canonical))
model.get_layer("dense").set_weights([canonical["dense.kernel"], canonical["dense.bias"]])
param_count = model.count_params()
model.compile(optimizer=keras.optimizers.Adam(hp.lr, beta_1=hp.beta1, beta_2=hp.beta2, epsilon=hp.epsilon),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              jit_compile=True if "jit_compile" in fast_path else "auto")

#############################################
#          Training and evaluation          #
#############################################

model.optimizer.build(model.trainable_variables)
state = model.variables + model.optimizer.variables  # weights and Adam's moments and step
initial_state = [v.numpy() for v in state]


def reset():
    """Canonical weights, fresh optimizer state: every repeat starts alike."""
    for variable, value in zip(state, initial_state):
        variable.assign(value)


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

def fused_rnn():
    """Verified, not assumed: did the GRU of a training step run on cuDNN? Keras's JAX GRU is a
    lax.scan (never cuDNN); its PyTorch GRU takes cuDNN only outside torch.compile, silently."""
    if not cuda or backend == "jax":
        return False
    if backend == "torch":
        x, y = data.x_train[:hp.batch_size], data.y_train[:hp.batch_size]
        with torch.profiler.profile() as profile:
            model.train_on_batch(x, y)
        return any(event.key == "aten::_cudnn_rnn" for event in profile.key_averages())
    try:  # TensorFlow: use_cudnn=True raises where cuDNN cannot run this layer
        layers.GRU(hp.hidden, use_cudnn=True)(np.zeros((1, 2, hp.embed_dim), np.float32))
        return True
    except ValueError:
        return False


fast_path = [p for p in fast_path if p != "jit_compile" or model.jit_compile]
notes = [] if cuda or not cell.fast else ["fast mode on the CPU: no mixed_bfloat16 (slower than fp32 on CPUs without bf16 units)"
                                          + ("; no torch.compile: the same as fp32" if backend == "torch" else "")]
notes += ["Keras's Adam adds epsilon to sqrt(v) before the bias correction (PyTorch and Optax after it): the same 1e-8 weighs "
          "more in the first steps and where sqrt(v) is tiny"]
notes += ["Keras's JAX GRU is a lax.scan, not cuDNN: no fused RNN"] if backend == "jax" and cuda else []
notes += ["Keras's Adam on TensorFlow squares the embedding's sparse gradient per occurrence of a token, not once per "
          "row: a token repeated in a batch gets a smaller second moment than in the other frameworks"] if backend == "tensorflow" else []
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=fused_rnn(), data=data.identity("host"),
    environment=rosetta.environment(cell, f"{keras.__version__} ({version})", cuda=cuda_version, cudnn=cudnn_version, tf32=tf32),
    notes=notes,
)
