# cnn-cifar10, Chainer: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: define-by-run Chainer on NumPy (each operator dispatched from Python, the graph recorded as it runs).
# fast: chainer.config.type_check = False (the documented switch that skips the checks of every
# function's inputs). iDeep, Chainer's documented CPU fast path, has no ideep4py build for this Python.

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
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
cuda = cell.device == "cuda"
assert not cuda or chainer.backends.cuda.available, "this chainer has no CuPy: it would run on the CPU"
device = chainer.get_device("@cupy:0" if cuda else "@numpy")
sync = chainer.backends.cuda.Stream.null.synchronize if cuda else (lambda: None)  # NumPy returns when it is done
fast_path = ["type_check off"] if cell.fast else []  # fp32: Chainer's defaults
chainer.config.type_check = not cell.fast

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: device.send(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW, Chainer's layout for convolutions
x_train, y_train = to_device(data.x_train), device.send(data.y_train.astype(np.int32))  # softmax_cross_entropy takes int32 labels
x_test, y_test = to_device(data.x_test), device.send(data.y_test.astype(np.int32))
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(3, 50, 3, pad=1)
            self.conv2 = L.Convolution2D(50, 50, 3, pad=1)
            self.conv3 = L.Convolution2D(50, 100, 3, pad=1)
            self.conv4 = L.Convolution2D(100, 100, 3, pad=1)
            self.dense1 = L.Linear(100 * 8 * 8, 512)  # flattens its (C, H, W) input first
            self.dense2 = L.Linear(512, 10)

    def forward(self, x):  # F.dropout is active only while chainer.config.train is True
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.dropout(F.max_pooling_2d(x, 2, 2, cover_all=False), 0.25)
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = F.dropout(F.max_pooling_2d(x, 2, 2, cover_all=False), 0.25)
        x = F.dropout(F.relu(self.dense1(x)), 0.5)
        return self.dense2(x)


def chainer_layout(name, w):
    """Canonical layout to Chainer's (PyTorch's): HWIO -> OIHW, (in, out) -> (out, in), and the first
    dense layer's inputs from the canonical (H, W, C) flatten order to Chainer's (C, H, W)."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T if w.ndim == 2 else w
    return device.send(np.ascontiguousarray(w))


def chainer_name(name):
    """The Chainer path of a canonical name: conv1.kernel is /conv1/W (net.conv1.W), conv1.bias /conv1/b."""
    layer, kind = name.split(".")
    return f"/{layer}/{'W' if kind == 'kernel' else 'b'}"


net = CNN()
net.to_device(device)
canonical = {chainer_name(name): chainer_layout(name, w) for name, w in rosetta.canonical_weights("cnn").items()}
param_count = sum(p.size for p in net.params())

#############################################
#               Training step               #
#############################################

def reset(repeat):
    """Canonical weights and a fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    global optimizer
    for name, parameter in net.namedparams():
        parameter.array[...] = canonical[name]
    # Chainer's MomentumSGD keeps v = momentum * v - lr * g and adds it: the spec's update with a constant lr
    optimizer = chainer.optimizers.MomentumSGD(lr=hp.lr, momentum=hp.momentum)
    optimizer.setup(net)
    device.xp.random.seed(cell.seed + repeat)  # F.dropout draws its masks from NumPy's (CuPy's) global generator


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
    with chainer.using_config("train", False), chainer.no_backprop_mode():  # dropout off, no graph recorded
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
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment, notes=notes,
)
