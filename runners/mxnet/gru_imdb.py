# gru-imdb, MXNet (symbolic): trains an embedding, one GRU layer and a dense classifier on IMDB reviews
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# The network is an mx.sym graph bound by mx.mod.Module, as the 2017 study's MXNet row. mx.sym.RNN
# (mode "gru") is one fused operator (cuDNN's kernel on GPUs, oneDNN's or MXNet's own on CPUs) with
# cuDNN's gate convention. fast: on the CPU nothing beyond fp32 (no bf16 AMP), as the other CPU cells.

import numpy as np

import rosetta

try:
    import mxnet as mx
    from mxnet import nd
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
fast_path = []  # the symbolic graph is MXNet's fast path already; no bf16 on the CPU

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
# float32 on the device, the symbolic inputs' default type (token ids below 2^24 are exact)
x_train, y_train = nd.array(data.x_train, ctx), nd.array(data.y_train, ctx)
x_test, y_test = nd.array(data.x_test, ctx), data.y_test
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

tokens = mx.sym.Variable("data")
x = mx.sym.Embedding(mx.sym.transpose(tokens), input_dim=hp.vocab_size, output_dim=hp.embed_dim, name="embedding")  # time-major
state = mx.sym.zeros((1, 0, hp.hidden))  # (layers, batch, hidden): 0 is the batch size, inferred when bound
# the fused RNN operator: its weights are one packed vector, gates r, z, n (cuDNN's order and convention)
out = mx.sym.RNN(x, mx.sym.Variable("gru_parameters"), state, state_size=hp.hidden, num_layers=1, mode="gru", name="gru")
last = mx.sym.squeeze(mx.sym.slice_axis(out, axis=0, begin=-1, end=None), axis=0)  # the state after the last step
net = mx.sym.FullyConnected(last, num_hidden=2, name="dense")  # the logits
# softmax forward, cross-entropy's gradient (p - onehot) backward, summed over the batch (Module rescales it by 1/batch)
symbol = mx.sym.SoftmaxOutput(net, name="softmax")


def mxnet_layout(w):
    """Canonical to MXNet's names and layouts: mx.sym.RNN packs the input kernels, the recurrent kernels,
    the input biases and the recurrent biases, each over the gates r, z, n, kernels (out, in), in one vector."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    packed = [gates("input_kernel").T, gates("recurrent_kernel").T, gates("input_bias"), gates("recurrent_bias")]
    state = {"embedding_weight": w["embedding.table"], "gru_parameters": np.concatenate([p.ravel() for p in packed]),
             "dense_weight": w["dense.kernel"].T, "dense_bias": w["dense.bias"]}
    return {name: nd.array(np.ascontiguousarray(v), ctx) for name, v in state.items()}


weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
arg_params = mxnet_layout(weights)
mod = mx.mod.Module(symbol, data_names=["data"], label_names=["softmax_label"], context=ctx)
mod.bind(data_shapes=[("data", (hp.batch_size, hp.seq_len))], label_shapes=[("softmax_label", (hp.batch_size,))])
shapes = dict(zip(net.list_arguments(), net.infer_shape(data=(1, hp.seq_len))[0]))  # the graph's own parameters
param_count = sum(int(np.prod(shape)) for name, shape in shapes.items() if name != "data")

#############################################
#               Training step               #
#############################################

adam = {"learning_rate": hp.lr, "beta1": hp.beta1, "beta2": hp.beta2, "epsilon": hp.epsilon}


def reset(repeat):
    """Canonical weights and a fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    mod.init_params(arg_params=arg_params, force_init=True)
    mod.init_optimizer(optimizer="adam", optimizer_params=adam, force_init=True)


def train_step(idx):
    label = nd.take(y_train, idx)
    mod.forward_backward(mx.io.DataBatch(data=[nd.take(x_train, idx)], label=[label]))
    mod.update()
    return -nd.log(nd.pick(mod.get_outputs()[0], label)).mean()  # the batch's cross-entropy

#############################################
#          Training and evaluation          #
#############################################

def evaluate():
    probabilities = mod.predict(mx.io.NDArrayIter(x_test, batch_size=hp.batch_size))  # is_train=False
    return float((probabilities.asnumpy().argmax(1) == y_test).mean())


batches = [rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [nd.array(b, ctx, dtype="int64") for b in batches]
with rosetta.timed(sync) as warmup:
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
notes = [] if not cell.fast else ["fast mode on the CPU: the same bound symbolic graph as fp32, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"]
notes += ["mx.sym.RNN runs as one fused RNN operator; fused_rnn reports cuDNN's, which this CPU-only mxnet build does not have"]
notes += ["MXNet's Adam adds epsilon to sqrt(v) before the bias correction (PyTorch and Optax after it): the same 1e-8 weighs "
          "more in the first steps and where sqrt(v) is tiny"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False,
    data=data.identity("device" if cuda else "host"), environment=environment, notes=notes,
)
