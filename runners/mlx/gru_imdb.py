# gru-imdb, MLX: trains an embedding, one GRU layer and a dense classifier on IMDB reviews with
# Adam from the canonical initial weights and measures the training time of all epochs (every step
# ends with mx.eval, which runs MLX's lazy graph and waits for it), then the test accuracy (untimed).
# Spec: shared/benchmarks.md. fp32 and fast alike: eager, one graph built and evaluated per step.
# mx.compile of the whole step (forward over the 150 unrolled steps, backward, Adam) is MLX's fast
# path, and the CNN's fast mode uses it; on this network on the CPU it was measured slower than eager
# (2026-12-03: 124.6 s against 73.6 s at the cpu profile, every repeat slower), so it is not used.
# The GRU cell is written with mx ops: nn.GRU merges the r and z gates' input and recurrent biases.
# Runs on MLX's CPU build (mlx-cpu) only.

import numpy as np

import rosetta

try:
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    from mlx.utils import tree_flatten
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
mx.set_default_device(mx.gpu if cell.device == "cuda" else mx.cpu)  # raises without a GPU backend: no fallback to the CPU
sync = rosetta.no_sync  # train_step ends with mx.eval, which waits for the step's work
fast_path = []  # both modes eager (above)

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = mx.array(data.x_train), mx.array(data.y_train)
x_test, y_test = mx.array(data.x_test), mx.array(data.y_test)
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRU(nn.Module):
    """nn.GRU's cell with cuDNN's biases: nn.GRU keeps one bias for the input and the recurrent part
    of the r and z gates (200 parameters fewer than the spec's, and the merged bias trains
    differently). Wx, Wh, b and bh hold the gates r, z, n one above the other, (out, in) as nn.Linear's."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.Wx, self.b = mx.zeros((3 * hidden_size, input_size)), mx.zeros((3 * hidden_size,))
        self.Wh, self.bh = mx.zeros((3 * hidden_size, hidden_size)), mx.zeros((3 * hidden_size,))

    def __call__(self, x):
        """x: (batch, time, input_size); returns the state after the last step, (batch, hidden)."""
        rz = 2 * self.hidden_size
        x = mx.addmm(self.b, x, self.Wx.T)  # the input part of every step in one matmul
        h = mx.zeros((x.shape[0], self.hidden_size))
        for t in range(x.shape[1]):
            hx = mx.addmm(self.bh, h, self.Wh.T)
            r, z = mx.split(mx.sigmoid(x[:, t, :rz] + hx[:, :rz]), 2, axis=-1)
            n = mx.tanh(x[:, t, rz:] + r * hx[:, rz:])  # the reset gate after the recurrent matmul (cuDNN's)
            h = (1 - z) * n + z * h
        return h


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(hp.vocab_size, hp.embed_dim)
        self.gru = GRU(hp.embed_dim, hp.hidden)
        self.dense = nn.Linear(hp.hidden, 2)

    def __call__(self, tokens):
        return self.dense(self.gru(self.embedding(tokens)))


def mlx_layout(w):
    """Canonical layout to MLX's: the gates r, z, n stacked, kernels (in, out) -> (out, in)."""
    gates = lambda kind: mx.array(np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1).T)
    return [("embedding.weight", mx.array(w["embedding.table"])),
            ("gru.Wx", gates("input_kernel")), ("gru.Wh", gates("recurrent_kernel")),
            ("gru.b", gates("input_bias")), ("gru.bh", gates("recurrent_bias")),
            ("dense.weight", mx.array(w["dense.kernel"].T)), ("dense.bias", mx.array(w["dense.bias"]))]


weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = mlx_layout(weights)
net = GRUClassifier()
net.load_weights(canonical)  # strict: every name and shape must match (reset() loads them again)
param_count = sum(w.size for _, w in tree_flatten(net.trainable_parameters()))

#############################################
#               Training step               #
#############################################

# bias_correction=True: epsilon on the bias-corrected sqrt(v_hat), the spec's Adam (MLX's default is False)
make_optimizer = lambda: optim.Adam(learning_rate=hp.lr, betas=[hp.beta1, hp.beta2], eps=hp.epsilon, bias_correction=True)
optimizer = make_optimizer()


def reset(repeat):
    """Canonical weights and fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    net.load_weights(canonical)
    fresh = make_optimizer()
    fresh.init(net.trainable_parameters())
    optimizer.state.clear()  # refilled in place: the step holds this very optimizer
    optimizer.state.update(fresh.state)


def loss_fn(tokens, y):
    return nn.losses.cross_entropy(net(tokens), y, reduction="mean")


def optimizer_step(tokens, y):
    loss, grads = nn.value_and_grad(net, loss_fn)(tokens, y)
    optimizer.update(net, grads)
    return loss


def train_step(idx):
    loss = optimizer_step(x_train[idx], y_train[idx])
    mx.eval(loss, net.state, optimizer.state)  # run the step's graph now, as MLX's training loops do
    return loss

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=500):
    correct = sum((net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum().item()
                  for i in range(0, len(data.x_test), batch_size))
    return correct / len(data.x_test)


batches = [mx.array(rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, epoch)) for epoch in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # first allocations happen here, untimed
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
        losses.append(mx.stack(step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, mx.__version__, tf32=False)  # CPU only: no TF32 to turn on
notes = ["MLX has no fused RNN kernel: the GRU cell is mx ops, one step after another, hence fused_rnn false"]
notes += ["fast mode runs eager, as fp32: mx.compile of the whole step was measured slower on the CPU"] if cell.fast else []
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("host"),
    environment=environment, notes=notes,
)
