# gru-imdb, JAX (Flax NNX + Optax): trains an embedding, one GRU layer and a dense classifier on IMDB
# reviews with Adam from the canonical initial weights and measures the training time of all epochs
# (the clock stops after the device has finished), then the test accuracy (untimed). Spec:
# shared/benchmarks.md. Both modes jit-compile the training step (JAX's normal idiom). fp32: float32
# matmul precision (no TF32). fast: on CUDA, bf16 compute with fp32 parameters, and TF32 where fp32
# remains. The GRU is a jax.lax.scan in both modes: JAX has no cuDNN GRU.

import numpy as np

import rosetta

try:
    import jax
    import jax.numpy as jnp
    import optax
    from flax import nnx
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
jax.config.update("jax_platforms", "cuda" if cell.device == "cuda" else "cpu")  # no silent fallback to the CPU
cuda = cell.device == "cuda"
sync = lambda: jax.block_until_ready(nnx.state(net))  # the weights depend on every queued step
fast_path = ["bf16 compute", "tf32"] if cuda and cell.fast else []
jax.config.update("jax_default_matmul_precision", "tensorfloat32" if "tf32" in fast_path else "float32")
dtype = jnp.bfloat16 if "bf16 compute" in fast_path else jnp.float32  # parameters stay float32

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = jax.device_put(data.x_train), jax.device_put(data.y_train.astype(np.int32))
x_test, y_test = jax.device_put(data.x_test), jax.device_put(data.y_test.astype(np.int32))
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRU(nnx.Module):
    """One GRU layer in the cuDNN convention: separate input and recurrent biases, the reset gate applied
    after the recurrent matmul. nnx.GRUCell has no recurrent bias, so the cell is written out here."""

    def __init__(self, din, hidden):  # zeros: the canonical weights are loaded over them
        self.hidden = hidden  # each kernel and bias holds the gates r, z, n side by side
        self.input_kernel = nnx.Param(jnp.zeros((din, 3 * hidden)))
        self.recurrent_kernel = nnx.Param(jnp.zeros((hidden, 3 * hidden)))
        self.input_bias, self.recurrent_bias = nnx.Param(jnp.zeros(3 * hidden)), nnx.Param(jnp.zeros(3 * hidden))

    def __call__(self, x):  # (batch, time, din) -> the state after the last step (batch, hidden)
        wi, wh = self.input_kernel[...].astype(dtype), self.recurrent_kernel[...].astype(dtype)
        bi, bh = self.input_bias[...].astype(dtype), self.recurrent_bias[...].astype(dtype)
        xs = x.astype(dtype) @ wi + bi  # the input projections of all steps in one matmul, as cuDNN does

        def step(h, x_t):
            xr, xz, xn = jnp.split(x_t, 3, axis=-1)
            hr, hz, hn = jnp.split(h @ wh + bh, 3, axis=-1)
            r, z = nnx.sigmoid(xr + hr), nnx.sigmoid(xz + hz)
            n = jnp.tanh(xn + r * hn)
            return (1 - z) * n + z * h, None

        h, _ = jax.lax.scan(step, jnp.zeros((len(x), self.hidden), dtype), xs.swapaxes(0, 1))  # time-major scan
        return h


class GRUClassifier(nnx.Module):
    def __init__(self, rngs):
        self.embedding = nnx.Embed(hp.vocab_size, hp.embed_dim, dtype=dtype, rngs=rngs)
        self.gru = GRU(hp.embed_dim, hp.hidden)
        self.dense = nnx.Linear(hp.hidden, 2, dtype=dtype, rngs=rngs)

    def __call__(self, tokens):
        return self.dense(self.gru(self.embedding(tokens)))


def flax_layout(w):
    """Canonical layout to this network's: the gates concatenated in the order r, z, n (kernels are
    (in, out) in both); Flax calls the embedding table `embedding`."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    state = {("embedding", "embedding"): w["embedding.table"],
             ("gru", "input_kernel"): gates("input_kernel"), ("gru", "recurrent_kernel"): gates("recurrent_kernel"),
             ("gru", "input_bias"): gates("input_bias"), ("gru", "recurrent_bias"): gates("recurrent_bias"),
             ("dense", "kernel"): w["dense.kernel"], ("dense", "bias"): w["dense.bias"]}
    return nnx.from_flat_state({path: jnp.asarray(v) for path, v in state.items()})


canonical = flax_layout(rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim,
                                                  hidden=hp.hidden))
net = GRUClassifier(nnx.Rngs(params=0))
param_count = sum(p.size for p in jax.tree.leaves(nnx.state(net, nnx.Param)))

#############################################
#               Training step               #
#############################################

optimizer = nnx.Optimizer(net, optax.adam(hp.lr, b1=hp.beta1, b2=hp.beta2, eps=hp.epsilon), wrt=nnx.Param)
fresh = nnx.as_pure(nnx.state(optimizer))  # a copy: zero moments, step 0


def reset(repeat):
    """Canonical weights and fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    nnx.update(net, canonical)
    nnx.update(optimizer, fresh)


def optimizer_step(net, optimizer, x, y, idx):  # the data as arguments: a closure would be compiled in as constants
    def loss_fn(net):
        logits = net(x[idx]).astype(jnp.float32)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y[idx]).mean()
    loss, grads = nnx.value_and_grad(loss_fn)(net)
    optimizer.update(net, grads)
    return loss


# Compiled once for all repeats; tree mode (graph=False) keeps the Python work per step small.
jit_step = nnx.jit_partial(optimizer_step, net, optimizer, graph=False)


def train_step(idx):
    return jit_step(x_train, y_train, idx)

#############################################
#          Training and evaluation          #
#############################################

@nnx.jit
def correct(net, x, y):
    return (net(x).argmax(-1) == y).sum()


def evaluate(batch_size=500):
    slices = [slice(i, i + batch_size) for i in range(0, len(x_test), batch_size)]
    return sum(int(correct(net, x_test[s], y_test[s])) for s in slices) / len(x_test)


batches = [jax.device_put(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, e)) for e in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # compilation happens here, untimed
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
        losses.append(float(jnp.mean(jnp.stack(step_losses))))
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

from jax._src.lib import cuda_versions  # the CUDA plugin's, None without it: JAX has no public API for these
versions = cuda_versions if cuda else None
precision = jax.config.jax_default_matmul_precision  # read back after the run: unset (None) is TF32 on CUDA
environment = rosetta.environment(
    cell, jax.__version__, gpu_name=jax.devices()[0].device_kind,
    tf32=cuda and precision in (None, "default", "tensorfloat32"),
    cuda=versions and "%d.%d" % divmod(versions.cuda_runtime_get_version() // 10, 100),
    cudnn=versions and versions.cudnn_get_version())
notes = ["the GRU is a jax.lax.scan of the cell (an XLA loop), not a fused kernel: JAX has no cuDNN GRU "
         "(jax.experimental.rnn wraps cuDNN's LSTM only)"]
notes += [] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (bf16 is slow without bf16 units)"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("device" if cuda else "host"),
    environment=environment,
    notes=notes,
)
