# gru-imdb, tinygrad: trains an embedding, one GRU layer and a dense classifier on IMDB reviews with
# Adam from the canonical initial weights and measures the training time of all epochs (the clock
# stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# tinygrad has no GRU layer: the cell is written here with Tensor ops in the cuDNN convention and
# unrolled over the seq_len steps, so each training step is one lazy graph that tinygrad schedules,
# fuses and compiles (C, clang) for its CPU device (DEV=CPU:CLANG).
# fp32: that default execution, scheduled again every step. fast: TinyJit, the step captured once
# and replayed as the same kernels on the same buffers (no BEAM search: see notes).

import importlib.metadata

import numpy as np

import rosetta

try:
    from tinygrad import Device, Tensor, TinyJit, dtypes, nn
    from tinygrad.helpers import Context
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
assert cell.device == "cpu", "these runners use tinygrad's CPU device (DEV=CPU:CLANG), not tried on a GPU"
device = Device.DEFAULT  # DEV in content/frameworks/tinygrad.json
sync = Device[device].synchronize
fast_path = ["TinyJit"] if cell.fast else []  # fp32: the graph scheduled every step

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = Tensor(data.x_train, device=device).realize(), Tensor(data.y_train.astype(np.int32), device=device).realize()
x_test, y_test = Tensor(data.x_test, device=device).realize(), Tensor(data.y_test.astype(np.int32), device=device).realize()
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRU:
    """One GRU layer, cuDNN's convention (PyTorch's nn.GRU): the gates r, z, n side by side in (3 * hidden, in)
    kernels, separate input and recurrent biases, the reset gate applied after the recurrent matmul."""

    def __init__(self, inputs, hidden):
        self.weight_ih, self.bias_ih = Tensor.zeros(3 * hidden, inputs), Tensor.zeros(3 * hidden)
        self.weight_hh, self.bias_hh = Tensor.zeros(3 * hidden, hidden), Tensor.zeros(3 * hidden)

    def __call__(self, x):  # x: (time, batch, inputs), time-major as cuDNN's; returns the state after the last step
        xs = x.linear(self.weight_ih.T, self.bias_ih).contiguous()  # every step's input part at once
        h = Tensor.zeros(x.shape[1], self.weight_hh.shape[1], device=x.device)
        for t in range(x.shape[0]):  # unrolled: one graph for the whole sequence
            x_r, x_z, x_n = xs[t].contiguous().chunk(3, dim=-1)  # a view of xs: the same kernels at every step
            h_r, h_z, h_n = h.linear(self.weight_hh.T, self.bias_hh).chunk(3, dim=-1)
            r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
            n = (x_n + r * h_n).tanh()
            h = (1 - z) * n + z * h
        return h


class GRUClassifier:
    def __init__(self):
        self.embedding = nn.Embedding(hp.vocab_size, hp.embed_dim)
        self.gru = GRU(hp.embed_dim, hp.hidden)
        self.dense = nn.Linear(hp.hidden, 2)

    def __call__(self, tokens):
        return self.dense(self.gru(self.embedding(tokens.T)))  # tokens (batch, time)


def tinygrad_layout(w):
    """Canonical layout to this GRU's: the r, z, n gates concatenated into (out, in) kernels (PyTorch's
    layout); nn.Embedding's weight is the table, nn.Linear's kernel is (out, in)."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    state = {
        "embedding.weight": w["embedding.table"],
        "gru.weight_ih": gates("input_kernel").T, "gru.weight_hh": gates("recurrent_kernel").T,
        "gru.bias_ih": gates("input_bias"), "gru.bias_hh": gates("recurrent_bias"),
        "dense.weight": w["dense.kernel"].T, "dense.bias": w["dense.bias"],
    }
    return {name: Tensor(np.ascontiguousarray(v), device=device) for name, v in state.items()}


weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = tinygrad_layout(weights)
net = GRUClassifier()
state = nn.state.get_state_dict(net)  # {"embedding.weight": Tensor, "gru.weight_ih": Tensor, ...}
param_count = sum(t.numel() for t in state.values())

#############################################
#               Training step               #
#############################################

optimizer = nn.optim.Adam(list(state.values()), lr=hp.lr, b1=hp.beta1, b2=hp.beta2, eps=hp.epsilon)  # eps on sqrt(v_hat)


def reset(repeat):
    """Canonical weights and fresh optimizer state, written into the existing buffers (a TinyJit step keeps
    reading those); the GRU has no dropout: repeats differ only in timing."""
    for name, t in state.items():
        t.assign(canonical[name])
    for moment in optimizer.m + optimizer.v:
        moment.assign(Tensor.zeros_like(moment))
    for power in (optimizer.b1_t, optimizer.b2_t):  # beta1^t and beta2^t of the bias corrections
        power.assign(Tensor.ones_like(power))
    Tensor.realize(*state.values(), *optimizer.m, *optimizer.v, optimizer.b1_t, optimizer.b2_t)


def step(idx):
    with Context(TRAINING=1):  # the optimizer refuses to step without it
        optimizer.zero_grad()
        loss = net(x_train[idx]).sparse_categorical_crossentropy(y_train[idx])  # the batch's mean
        loss.backward()
        return loss.realize(*optimizer.schedule_step())  # loss and update in one schedule (the loss of the weights before it)


jit_step = TinyJit(step) if "TinyJit" in fast_path else None
train_step = (lambda idx: jit_step(idx).clone().realize()) if jit_step else step  # a captured step's output
# buffer is overwritten by the next replay: its loss is copied out

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=hp.batch_size):  # the training batch's shape: its forward kernels are compiled already
    correct = Tensor.zeros((), dtype=dtypes.int32, device=device)
    for i in range(0, len(data.x_test), batch_size):
        correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum().realize()
    return correct.item() / len(data.x_test)


batches = [rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [[Tensor(idx.astype(np.int32), device=device).realize() for idx in epoch] for epoch in batches]
with rosetta.timed(sync) as warmup:  # kernel compilation and the TinyJit capture happen here, untimed
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
        losses.append(Tensor.stack(*step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

renderer = type(Device[device].renderer).__name__  # which code generator ran: ClangRenderer for DEV=CPU:CLANG
environment = rosetta.environment(cell, importlib.metadata.version("tinygrad"), tf32=False)  # tinygrad has no __version__
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("host"), environment=environment,
    notes=[f"tinygrad's {device} device, kernels generated by its {renderer} and compiled by clang (the ziglang wheel's)",
           "tinygrad has no GRU layer: the cell is written with Tensor ops and unrolled over the steps, hence fused_rnn false",
           "fast mode is TinyJit without BEAM search: BEAM (timing candidate kernels while compiling) costs far more than a cell's time here"],
)
