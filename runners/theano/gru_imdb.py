# gru-imdb, Theano: trains an embedding, one GRU layer and a dense classifier on IMDB reviews
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# Theano is the engine under Lasagne: the GRU is a theano.scan over the time steps, and theano.function
# compiles its forward pass, gradient (back through the scan) and the Adam updates into one C program (g++) once.
# fp32: Theano's default mode, FAST_RUN (intermediates freed after each call and each step of the scan).
# fast: the same graph with the cvm_nogc linker, scan.allow_gc off (intermediates kept) and trust_input
# (no input checks): the "faster Theano function" switches of Theano's FAQ. No bf16 in Theano.

import sys

import numpy as np

import rosetta

try:
    import theano
    import theano.tensor as T
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
assert cell.device == "cpu", "this Theano has no GPU backend (pygpu): it would run on the CPU"
assert theano.config.floatX == "float32", "THEANO_FLAGS must set floatX=float32"
sync = rosetta.no_sync  # a Theano function returns when its results are computed
fast_path = ["cvm_nogc linker", "scan.allow_gc off", "trust_input"] if cell.fast else []  # fp32: FAST_RUN as it comes
mode = theano.Mode(linker="cvm_nogc") if "cvm_nogc linker" in fast_path else theano.compile.get_default_mode()  # FAST_RUN
theano.config.scan.allow_gc = "scan.allow_gc off" not in fast_path  # read when the scan is built
# Scan's compiled loop is C that Cython 0.28.5 generated in 2017, which does not build against this Python
# (3.11 moved the headers it includes): with the module marked missing, scan takes its own fallback for
# a missing extension, the loop over the steps in Python, each step the compiled inner function.
sys.modules["theano.scan_module.scan_perform_ext"] = None

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = theano.shared(data.x_train), theano.shared(data.y_train.astype(np.int32))  # the model's memory
x_test, y_test = data.x_test, data.y_test
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

canonical = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
p = {name: theano.shared(w, name=name) for name, w in canonical.items()}  # the parameters, in the canonical layouts
gates = lambda kind: T.concatenate([p[f"gru.{kind}.{gate}"] for gate in "rzn"], axis=-1)  # r, z, n side by side
H = hp.hidden


def gru_step(x_t, h, recurrent_kernel, recurrent_bias):
    """One step of the cuDNN convention: the reset gate multiplies the recurrent matmul (with its bias)."""
    hh = T.dot(h, recurrent_kernel) + recurrent_bias
    r = T.nnet.sigmoid(x_t[:, :H] + hh[:, :H])
    z = T.nnet.sigmoid(x_t[:, H:2 * H] + hh[:, H:2 * H])
    n = T.tanh(x_t[:, 2 * H:] + r * hh[:, 2 * H:])
    return (1 - z) * n + z * h


def network(tokens):
    x = p["embedding.table"][tokens.T]  # (time, batch, embed_dim): scan iterates over the first axis
    x = T.dot(x, gates("input_kernel")) + gates("input_bias")  # the input part of every step at once
    h0 = T.zeros((tokens.shape[0], H), dtype="float32")  # the state starts at zero
    h, _ = theano.scan(gru_step, sequences=x, outputs_info=h0, non_sequences=[gates("recurrent_kernel"), gates("recurrent_bias")], strict=True)
    return T.dot(h[-1], p["dense.kernel"]) + p["dense.bias"]  # the logits, from the state after the last step


tokens = T.imatrix("tokens")
logits = network(tokens)
param_count = sum(w.get_value().size for w in p.values())

#############################################
#               Training step               #
#############################################

m = {name: theano.shared(np.zeros_like(w)) for name, w in canonical.items()}  # Adam's moments
v = {name: theano.shared(np.zeros_like(w)) for name, w in canonical.items()}
t = theano.shared(np.float32(0))  # the step count, for the bias corrections


def adam_updates(loss):
    """The spec's Adam, written out: epsilon on the bias-corrected sqrt(v_hat) (the embedding's gradient is dense)."""
    b1, b2, lr, eps = hp.beta1, hp.beta2, hp.lr, hp.epsilon  # Python floats: constants of floatX (float32)
    updates = [(t, t + 1)]
    for (name, w), g in zip(p.items(), T.grad(loss, list(p.values()))):
        m_t, v_t = b1 * m[name] + (1 - b1) * g, b2 * v[name] + (1 - b2) * g ** 2
        m_hat, v_hat = m_t / (1 - b1 ** (t + 1)), v_t / (1 - b2 ** (t + 1))
        updates += [(m[name], m_t), (v[name], v_t), (w, w - lr * m_hat / (T.sqrt(v_hat) + eps))]
    return updates


batch = T.lvector("batch")  # indices into the training set
loss = T.nnet.categorical_crossentropy(T.nnet.softmax(network(x_train[batch])), y_train[batch]).mean()
with rosetta.timed(sync) as compilation:  # g++ builds (or finds in Theano's cache) the step's C code
    step = theano.function([batch], loss, updates=adam_updates(loss), mode=mode)
step.trust_input = "trust_input" in fast_path


def reset(repeat):
    """Canonical weights and fresh Adam state (the GRU has no dropout: repeats differ only in timing)."""
    for name, w in canonical.items():
        p[name].set_value(w)
        m[name].set_value(np.zeros_like(w))
        v[name].set_value(np.zeros_like(w))
    t.set_value(np.float32(0))


def train_step(idx):
    return step(idx)

#############################################
#          Training and evaluation          #
#############################################

predict = theano.function([tokens], logits.argmax(1), mode=mode)


def evaluate(batch_size=500):
    correct = sum(int((predict(x_test[i:i + batch_size]) == y_test[i:i + batch_size]).sum()) for i in range(0, len(x_test), batch_size))
    return correct / len(x_test)


batches = [rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
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
        losses.append(float(np.mean(step_losses)))
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, theano.__version__, tf32=False)
notes = [f"warmup_s includes {compilation.seconds:.1f} s of compiling the training step (g++, or Theano's compile cache)"]
notes += ["the GRU is a theano.scan, its loop over the steps in Python (Theano's Cython loop does not build on Python 3.11), "
          "each step a compiled function: no fused RNN kernel, hence fused_rnn false"]
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=compilation.seconds + warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("host"),
    environment=environment, notes=notes,
)
