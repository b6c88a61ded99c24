# cnn-cifar10, Theano: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# Theano is the engine under Lasagne: the network is a symbolic expression over shared variables, and
# theano.function compiles its forward pass, gradient and updates into one C program (g++) once.
# fp32: Theano's default mode, FAST_RUN (graph optimizations, C code, intermediates freed after each call).
# fast: the same graph with the cvm_nogc linker (intermediates kept between calls) and trust_input
# (no input checks): the "faster Theano function" switches of Theano's FAQ. No bf16 in Theano.

import numpy as np

import rosetta

try:
    import theano
    import theano.tensor as T
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    from theano.tensor.nnet import conv2d, relu
    from theano.tensor.signal.pool import pool_2d
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
assert cell.device == "cpu", "this Theano has no GPU backend (pygpu): it would run on the CPU"
assert theano.config.floatX == "float32", "THEANO_FLAGS must set floatX=float32"
sync = rosetta.no_sync  # a Theano function returns when its results are computed
fast_path = ["cvm_nogc linker", "trust_input"] if cell.fast else []  # fp32: FAST_RUN as it comes
mode = theano.Mode(linker="cvm_nogc") if "cvm_nogc linker" in fast_path else theano.compile.get_default_mode()  # FAST_RUN

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
nchw = lambda x: np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # Theano's conv2d takes NCHW
x_train, y_train = theano.shared(nchw(data.x_train)), theano.shared(data.y_train.astype(np.int32))  # the model's memory
x_test, y_test = nchw(data.x_test), data.y_test
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

def theano_layout(name, w):
    """Canonical layout to Theano's: conv kernels HWIO -> OIHW, and the first dense layer's inputs
    from the canonical (H, W, C) flatten order to the (C, H, W) order of an NCHW flatten."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w)


canonical = {name: theano_layout(name, w) for name, w in rosetta.canonical_weights("cnn").items()}
p = {name: theano.shared(w, name=name) for name, w in canonical.items()}  # the parameters, by canonical name
srng = MRG_RandomStreams(cell.seed + 1)  # dropout masks, drawn in the compiled graph (reseeded in reset)


def conv_relu(x, layer):  # filter_flip=False: a cross-correlation, as the canonical kernels are
    return relu(conv2d(x, p[f"{layer}.kernel"], border_mode=1, filter_flip=False) + p[f"{layer}.bias"].dimshuffle("x", 0, "x", "x"))


def dropout(x, rate, train):
    return x * srng.binomial(x.shape, p=1 - rate, dtype=x.dtype) / (1 - rate) if train else x  # inverted dropout


def network(x, train):
    x = conv_relu(conv_relu(x, "conv1"), "conv2")
    x = dropout(pool_2d(x, ws=(2, 2), ignore_border=True), 0.25, train)
    x = conv_relu(conv_relu(x, "conv3"), "conv4")
    x = dropout(pool_2d(x, ws=(2, 2), ignore_border=True), 0.25, train)
    x = dropout(relu(T.dot(x.flatten(2), p["dense1.kernel"]) + p["dense1.bias"]), 0.5, train)
    return T.dot(x, p["dense2.kernel"]) + p["dense2.bias"]  # the logits


images = T.tensor4("images")  # NCHW
logits = network(images, train=False)  # dropout off: for evaluation
param_count = sum(w.get_value().size for w in p.values())

#############################################
#               Training step               #
#############################################

velocity = {name: theano.shared(np.zeros_like(w)) for name, w in canonical.items()}


def compile_step(train=True):
    """One SGD-momentum step on the batch of training-set indices idx, as one compiled function:
    v = momentum * v + g; w -= lr * v (Theano applies all updates at once, from the old values)."""
    idx = T.lvector("idx")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(network(x_train[idx], train)), y_train[idx]).mean()
    grads = T.grad(loss, list(p.values()))
    updates = []
    for (name, w), g in zip(p.items(), grads):
        v = hp.momentum * velocity[name] + g  # Python floats are constants of floatX (float32)
        updates += [(velocity[name], v), (w, w - hp.lr * v)]
    step = theano.function([idx], loss, updates=updates, mode=mode)
    step.trust_input = "trust_input" in fast_path
    return step


with rosetta.timed(sync) as compilation:  # g++ builds (or finds in Theano's cache) the step's C code
    step = compile_step()


def reset(repeat):
    """Canonical weights and zero velocities; repeat r draws its dropout masks from seed + r."""
    for name, w in canonical.items():
        p[name].set_value(w)
        velocity[name].set_value(np.zeros_like(w))
    srng.seed(cell.seed + repeat + 1)  # + 1: MRG31k3p rejects the seed 0


def train_step(idx):
    return step(idx)

#############################################
#          Training and evaluation          #
#############################################

predict = theano.function([images], logits.argmax(1), mode=mode)


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
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=compilation.seconds + warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("host"), environment=environment,
    notes=[f"warmup_s includes {compilation.seconds:.1f} s of compiling the training step (g++, or Theano's compile cache)"],
)
