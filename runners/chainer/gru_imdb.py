# gru-imdb, Chainer: trains an embedding, one GRU layer and a dense classifier on IMDB reviews
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: define-by-run Chainer on NumPy. fast: chainer.config.type_check = False (the documented switch
# that skips the checks of every function's inputs); iDeep has no ideep4py build for this Python.
# L.NStepGRU has cuDNN's gate convention; on CPUs it runs step by step (F.n_step_gru's own loop).

import numpy as np

import rosetta

try:
    import chainer
    import chainer.functions as F
    import chainer.links as L
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
cuda = cell.device == "cuda"
assert not cuda or chainer.backends.cuda.available, "this chainer has no CuPy: it would run on the CPU"
device = chainer.get_device("@cupy:0" if cuda else "@numpy")
sync = chainer.backends.cuda.Stream.null.synchronize if cuda else (lambda: None)  # NumPy returns when it is done
fast_path = ["type_check off"] if cell.fast else []  # fp32: Chainer's defaults
chainer.config.type_check = not cell.fast

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = device.send(data.x_train.astype(np.int32)), device.send(data.y_train.astype(np.int32))  # EmbedID and
x_test, y_test = device.send(data.x_test.astype(np.int32)), device.send(data.y_test.astype(np.int32))  # softmax_cross_entropy take int32
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRUClassifier(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.embedding = L.EmbedID(hp.vocab_size, hp.embed_dim)
            self.gru = L.NStepGRU(1, hp.embed_dim, hp.hidden, 0.0)  # one layer, no dropout between layers
            self.dense = L.Linear(hp.hidden, 2)

    def forward(self, tokens):
        sequences = F.separate(self.embedding(tokens), axis=0)  # NStepGRU takes a list of (time, embed_dim) sequences
        h, _ = self.gru(None, list(sequences))  # h: (layers, batch, hidden), the state after the last step
        return self.dense(h[0])


def chainer_layout(w):
    """Canonical layout to Chainer's paths and layouts: L.NStepGRU keeps one (out, in) matrix and one bias
    per gate, w0..w2 / b0..b2 the input ones of r, z, n, w3..w5 / b3..b5 the recurrent ones (cuDNN's order)."""
    state = {"/embedding/W": w["embedding.table"], "/dense/W": w["dense.kernel"].T, "/dense/b": w["dense.bias"]}
    for i, gate in enumerate("rzn"):
        state[f"/gru/0/w{i}"], state[f"/gru/0/w{i + 3}"] = w[f"gru.input_kernel.{gate}"].T, w[f"gru.recurrent_kernel.{gate}"].T
        state[f"/gru/0/b{i}"], state[f"/gru/0/b{i + 3}"] = w[f"gru.input_bias.{gate}"], w[f"gru.recurrent_bias.{gate}"]
    return {name: device.send(np.ascontiguousarray(v)) for name, v in state.items()}


net = GRUClassifier()
net.to_device(device)
weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = chainer_layout(weights)
param_count = sum(p.size for p in net.params())

#############################################
#               Training step               #
#############################################

def reset(repeat):
    """Canonical weights and a fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    global optimizer
    for name, parameter in net.namedparams():
        parameter.array[...] = canonical[name]
    # Chainer's Adam adds eps to sqrt(v) before the bias correction (Keras's and MXNet's algorithm), with no option
    optimizer = chainer.optimizers.Adam(alpha=hp.lr, beta1=hp.beta1, beta2=hp.beta2, eps=hp.epsilon)
    optimizer.setup(net)


def train_step(idx):
    loss = F.softmax_cross_entropy(net(x_train[idx]), y_train[idx])  # the batch's mean
    net.cleargrads()
    loss.backward()
    optimizer.update()
    return loss.array

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=500):
    correct = 0
    with chainer.using_config("train", False), chainer.no_backprop_mode():  # no graph recorded
        for i in range(0, len(x_test), batch_size):
            correct += int((net(x_test[i:i + batch_size]).array.argmax(1) == y_test[i:i + batch_size]).sum())
    return correct / len(x_test)


batches = [device.send(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch)) for epoch in range(hp.epochs)]
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
        losses.append(float(device.xp.stack(step_losses).mean()))
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, chainer.__version__, tf32=False)
notes = ["iDeep (chainer.config.use_ideep), Chainer's documented CPU fast path, is not used: ideep4py has no build for this Python"]
notes += ["L.NStepGRU runs cuDNN's fused RNN only on GPUs; on CPUs F.n_step_gru loops over the steps, hence fused_rnn false"]
notes += ["Chainer's Adam adds eps to sqrt(v) before the bias correction (PyTorch and Optax after it): the same 1e-8 weighs "
          "more in the first steps and where sqrt(v) is tiny"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("device" if cuda else "host"),
    environment=environment, notes=notes,
)
