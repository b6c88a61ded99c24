# gru-imdb, MXNet (Gluon): trains an embedding, one GRU layer and a dense classifier on IMDB reviews
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: imperative Gluon. fast: hybridize(static_alloc, static_shape), Gluon's documented fast path
# (as the 2017 study's Gluon row). rnn.GRU is one fused RNN operator in both modes
# (cuDNN's kernel on GPUs, oneDNN's or MXNet's own on CPUs), with cuDNN's gate convention.

import numpy as np

import rosetta

try:
    import mxnet as mx
    from mxnet import autograd, gluon, nd
    from mxnet.gluon import nn, rnn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
cuda = cell.device == "cuda"
assert not cuda or mx.runtime.Features().is_enabled("CUDA"), "this mxnet build has no CUDA: it would run on the CPU"
ctx = mx.gpu(0) if cuda else mx.cpu()
sync = nd.waitall  # MXNet's engine is asynchronous: wait for every pending operation
fast_path = ["hybridize(static_alloc, static_shape)"] if cell.fast else []  # fp32: imperative Gluon

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = nd.array(data.x_train, ctx, dtype="int32"), nd.array(data.y_train, ctx, dtype="int64")
x_test, y_test = nd.array(data.x_test, ctx, dtype="int32"), nd.array(data.y_test, ctx, dtype="int64")
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRUClassifier(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(hp.vocab_size, hp.embed_dim)
        self.gru = rnn.GRU(hp.hidden, layout="TNC", input_size=hp.embed_dim)  # time-major: the fused operator's own layout
        self.dense = nn.Dense(2, in_units=hp.hidden)

    def hybrid_forward(self, F, tokens):
        out = self.gru(self.embedding(F.transpose(tokens)))  # (time, batch, hidden): the state after every step
        return self.dense(F.squeeze(F.slice_axis(out, axis=0, begin=-1, end=None), axis=0))  # the state after the last step


def gluon_layout(w):
    """Canonical layout to Gluon's: rnn.GRU concatenates the gates in the order r, z, n (cuDNN's),
    with (out, in) kernels; dense kernels are (out, in)."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    state = {
        net.embedding.weight: w["embedding.table"],
        net.gru.l0_i2h_weight: gates("input_kernel").T, net.gru.l0_h2h_weight: gates("recurrent_kernel").T,
        net.gru.l0_i2h_bias: gates("input_bias"), net.gru.l0_h2h_bias: gates("recurrent_bias"),
        net.dense.weight: w["dense.kernel"].T, net.dense.bias: w["dense.bias"],
    }
    return {parameter: nd.array(np.ascontiguousarray(v), ctx) for parameter, v in state.items()}


net = GRUClassifier()
net.initialize(ctx=ctx)  # shapes are known: reset() replaces every value by the canonical one
weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = gluon_layout(weights)
param_count = sum(p.data().size for p in net.collect_params().values())
if "hybridize(static_alloc, static_shape)" in fast_path:
    net.hybridize(static_alloc=True, static_shape=True)

#############################################
#               Training step               #
#############################################

loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()  # per sample; trainer.step(batch_size) takes the mean
adam = {"learning_rate": hp.lr, "beta1": hp.beta1, "beta2": hp.beta2, "epsilon": hp.epsilon}


def reset(repeat):
    """Canonical weights and a fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    global trainer
    for parameter, w in canonical.items():
        parameter.set_data(w)
    trainer = gluon.Trainer(net.collect_params(), "adam", adam)


def train_step(idx):
    with autograd.record():
        loss = loss_fn(net(x_train[idx]), y_train[idx])
    loss.backward()
    trainer.step(hp.batch_size)
    return loss.mean()

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=500):
    correct = nd.zeros(1, ctx, dtype="int64")
    for i in range(0, len(x_test), batch_size):
        correct += (net(x_test[i:i + batch_size]).argmax(1).astype("int64") == y_test[i:i + batch_size]).sum()
    return correct.asscalar() / len(x_test)


batches = [rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [nd.array(b, ctx, dtype="int64") for b in batches]
with rosetta.timed(sync) as warmup:  # the hybridized graph is built here, untimed
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
        losses.append(nd.concat(*step_losses, dim=0).mean().asscalar())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, mx.__version__, tf32=False)
notes = [] if not cell.fast else ["fast mode on the CPU: hybridize only, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"]
notes += ["rnn.GRU runs as one fused RNN operator; fused_rnn reports cuDNN's, which this CPU-only mxnet build does not have"]
notes += ["MXNet's Adam adds epsilon to sqrt(v) before the bias correction (PyTorch and Optax after it): the same 1e-8 weighs "
          "more in the first steps and where sqrt(v) is tiny"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False,
    data=data.identity("device" if cuda else "host"), environment=environment, notes=notes,
)
