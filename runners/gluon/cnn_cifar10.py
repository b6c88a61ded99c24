# cnn-cifar10, MXNet (Gluon): trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: imperative Gluon (each operator dispatched from Python).
# fast: hybridize(static_alloc, static_shape), MXNet's documented fast path: forward and backward
# traced once into a symbolic graph with its memory planned ahead (as the 2017 study's Gluon row).

import numpy as np

import rosetta

try:
    import mxnet as mx
    from mxnet import autograd, gluon, nd
    from mxnet.gluon import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
cuda = cell.device == "cuda"
assert not cuda or mx.runtime.Features().is_enabled("CUDA"), "this mxnet build has no CUDA: it would run on the CPU"
ctx = mx.gpu(0) if cuda else mx.cpu()
sync = nd.waitall  # MXNet's engine is asynchronous: wait for every pending operation
fast_path = ["hybridize(static_alloc, static_shape)"] if cell.fast else []  # fp32: imperative Gluon

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: nd.array(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), ctx)  # NCHW, MXNet's layout for convolutions
x_train, y_train = to_device(data.x_train), nd.array(data.y_train, ctx, dtype="int64")
x_test, y_test = to_device(data.x_test), nd.array(data.y_test, ctx, dtype="int64")
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(50, 3, padding=1, in_channels=3)
        self.conv2 = nn.Conv2D(50, 3, padding=1, in_channels=50)
        self.conv3 = nn.Conv2D(100, 3, padding=1, in_channels=50)
        self.conv4 = nn.Conv2D(100, 3, padding=1, in_channels=100)
        self.dense1 = nn.Dense(512, in_units=100 * 8 * 8)  # flattens its (C, H, W) input first
        self.dense2 = nn.Dense(10, in_units=512)
        self.pool = nn.MaxPool2D(2, 2)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(0.25), nn.Dropout(0.25), nn.Dropout(0.5)

    def hybrid_forward(self, F, x):  # nn.Dropout is active only inside autograd.record()
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.dropout1(self.pool(x))
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = self.dropout2(self.pool(x))
        x = self.dropout3(F.relu(self.dense1(x)))
        return self.dense2(x)


def gluon_layout(name, w):
    """Canonical layout to Gluon's (PyTorch's): HWIO -> OIHW, (in, out) -> (out, in), and the first
    dense layer's inputs from the canonical (H, W, C) flatten order to Gluon's (C, H, W)."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T if w.ndim == 2 else w
    return nd.array(np.ascontiguousarray(w), ctx)


def gluon_parameter(name):
    """The Gluon Parameter of a canonical name: conv1.kernel is net.conv1.weight, conv1.bias net.conv1.bias."""
    layer, kind = name.split(".")
    return getattr(getattr(net, layer), "weight" if kind == "kernel" else "bias")


net = CNN()
net.initialize(ctx=ctx)  # shapes are known: reset() replaces every value by the canonical one
canonical = {gluon_parameter(name): gluon_layout(name, w) for name, w in rosetta.canonical_weights("cnn").items()}
param_count = sum(p.data().size for p in net.collect_params().values())
if "hybridize(static_alloc, static_shape)" in fast_path:
    net.hybridize(static_alloc=True, static_shape=True)

#############################################
#               Training step               #
#############################################

loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()  # per sample; trainer.step(batch_size) takes the mean


def reset(repeat):
    """Canonical weights and a fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    global trainer
    for parameter, w in canonical.items():
        parameter.set_data(w)
    # MXNet's SGD keeps m = momentum * m - lr * g and adds it: the spec's update with a constant lr
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": hp.lr, "momentum": hp.momentum})
    mx.random.seed(cell.seed + repeat)


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
    for i in range(0, len(x_test), batch_size):  # outside autograd.record(): dropout off
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
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment,
    notes=[] if not cell.fast else ["fast mode on the CPU: hybridize only, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"],
)
