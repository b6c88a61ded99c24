# gru-imdb, TensorFlow 2: trains an embedding, one GRU layer and a dense classifier on IMDB sentiment
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# A custom training loop: Keras layers as building blocks, a tf.function step with tf.GradientTape
# (no fit). fp32: graph mode, TF32 off, the cuDNN GRU on CUDA. fast on CUDA: XLA (jit_compile=True),
# which cannot compile the cuDNN kernel, mixed_bfloat16 and TF32; fast on the CPU: the same as fp32.

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
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon, vocab_size, seq_len, embed_dim, hidden, repeats
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

data = rosetta.load_imdb(cell)  # int32 token ids (n, seq_len), padded at the front; int64 labels
with tf.device("/GPU:0" if cuda else "/CPU:0"):  # on the device before any clock (spec rule 8)
    x_train, y_train = tf.constant(data.x_train), tf.constant(data.y_train)
    x_test, y_test = tf.constant(data.x_test), tf.constant(data.y_test)
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

def GRUClassifier():
    return keras.Sequential([
        keras.Input((hp.seq_len,), dtype="int32"),
        layers.Embedding(hp.vocab_size, hp.embed_dim, name="embedding"),
        # the cuDNN formulation; no mask: padding is read. cuDNN where it can run, never under XLA
        layers.GRU(hp.hidden, reset_after=True, use_cudnn=False if "XLA" in fast_path else "auto", name="gru"),
        layers.Dense(2, name="dense"),
    ])


def keras_gru(w):
    """Canonical per-gate GRU weights to Keras's: gates concatenated in Keras's order z, r, h (h is
    the canonical n), the input and recurrent biases stacked into one (2, 3 * hidden) bias."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{gate}"] for gate in "zrn"], axis=-1)
    return [gates("input_kernel"), gates("recurrent_kernel"), np.stack([gates("input_bias"), gates("recurrent_bias")])]


canonical = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
net = GRUClassifier()
net.get_layer("embedding").set_weights([canonical["embedding.table"]])
net.get_layer("gru").set_weights(keras_gru(canonical))
net.get_layer("dense").set_weights([canonical["dense.kernel"], canonical["dense.bias"]])
param_count = net.count_params()

#############################################
#               Training step               #
#############################################

optimizer = keras.optimizers.Adam(hp.lr, beta_1=hp.beta1, beta_2=hp.beta2, epsilon=hp.epsilon)
optimizer.build(net.trainable_variables)
state = net.variables + optimizer.variables  # weights and Adam's moments and step
initial_state = [v.numpy() for v in state]
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def reset(repeat):
    """Canonical weights and fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    for variable, value in zip(state, initial_state):
        variable.assign(value)


@tf.function(jit_compile="XLA" in fast_path)
def train_step(idx):
    with tf.GradientTape() as tape:
        loss = cross_entropy(tf.gather(y_train, idx), net(tf.gather(x_train, idx), training=True))
    # Dense, as in the other frameworks: the embedding's sparse gradient (tf.IndexedSlices) repeats a
    # token's row once per occurrence, and Keras's Adam would square each copy, not their sum.
    gradients = [tf.convert_to_tensor(g) for g in tape.gradient(loss, net.trainable_variables)]
    optimizer.apply_gradients(zip(gradients, net.trainable_variables))
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

def fused_rnn():
    """Verified, not assumed: the step that trained holds the cuDNN kernel (Keras's GRU layer takes
    its cuDNN path where a GPU and its arguments allow it, never under XLA, and falls back silently)."""
    graph = train_step.get_concrete_function(batches[0][0]).graph.as_graph_def()  # the traced step, not a retrace
    nodes = [*graph.node, *(node for function in graph.library.function for node in function.node_def)]
    return any(node.op.startswith("CudnnRNN") for node in nodes)


build = tf.sysconfig.get_build_info()
notes = [] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (no XLA: slower than TensorFlow's own CPU "
                                          "kernels for this GRU; no mixed_bfloat16, as in the other runners)"]
notes += ["Keras's Adam adds epsilon to sqrt(v) before the bias correction (PyTorch and Optax after it): the same 1e-8 weighs "
          "more in the first steps and where sqrt(v) is tiny (its size: the Rosetta check's training step)"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=fused_rnn(),
    data=data.identity("device" if "GPU" in x_train.device else "host"),
    environment=rosetta.environment(cell, tf.__version__, cuda=build.get("cuda_version"), cudnn=build.get("cudnn_version"),
                                    tf32=cuda and tf.config.experimental.tensor_float_32_execution_enabled()),  # read back
    notes=notes,
)
