# cnn-cifar10, tinygrad: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# tinygrad is lazy: each step builds the graph of its loss, gradients and update, then schedules,
# fuses and runs it as kernels it compiles (C, clang) for its CPU device (DEV=CPU:CLANG).
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
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
assert cell.device == "cpu", "these runners use tinygrad's CPU device (DEV=CPU:CLANG), not tried on a GPU"
device = Device.DEFAULT  # DEV in content/frameworks/tinygrad.json
sync = Device[device].synchronize
fast_path = ["TinyJit"] if cell.fast else []  # fp32: the graph scheduled every step

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: Tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), device=device).realize()  # NCHW
x_train, y_train = to_device(data.x_train), Tensor(data.y_train.astype(np.int32), device=device).realize()
x_test, y_test = to_device(data.x_test), Tensor(data.y_test.astype(np.int32), device=device).realize()
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN:
    def __init__(self):
        self.conv1 = nn.Conv2d(3, 50, 3, padding=1)
        self.conv2 = nn.Conv2d(50, 50, 3, padding=1)
        self.conv3 = nn.Conv2d(50, 100, 3, padding=1)
        self.conv4 = nn.Conv2d(100, 100, 3, padding=1)
        self.dense1 = nn.Linear(100 * 8 * 8, 512)
        self.dense2 = nn.Linear(512, 10)

    def __call__(self, x):  # Tensor.dropout is active only inside Context(TRAINING=1)
        x = self.conv2(self.conv1(x).relu()).relu()
        x = x.max_pool2d(2).dropout(0.25)
        x = self.conv4(self.conv3(x).relu()).relu()
        x = x.max_pool2d(2).dropout(0.25)
        x = self.dense1(x.flatten(1)).relu().dropout(0.5)
        return self.dense2(x)


def tinygrad_layout(name, w):
    """Canonical layout to tinygrad's (PyTorch's): HWIO -> OIHW, (in, out) -> (out, in), and the first
    dense layer's inputs from the canonical (H, W, C) flatten order to tinygrad's (C, H, W)."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T
    return Tensor(np.ascontiguousarray(w), device=device)


weights = rosetta.canonical_weights("cnn")
canonical = {name.replace(".kernel", ".weight"): tinygrad_layout(name, w) for name, w in weights.items()}
net = CNN()
state = nn.state.get_state_dict(net)  # {"conv1.weight": Tensor, ...}
param_count = sum(t.numel() for t in state.values())

#############################################
#               Training step               #
#############################################

optimizer = nn.optim.SGD(list(state.values()), lr=hp.lr, momentum=hp.momentum)  # b = 0.9 b + g; w -= lr b


def reset(repeat):
    """Canonical weights and fresh optimizer state, written into the existing buffers (a TinyJit step keeps
    reading those); repeat r draws its dropout masks from seed + r."""
    for name, t in state.items():
        t.assign(canonical[name])
    for b in optimizer.b:
        b.assign(Tensor.zeros_like(b))
    seed_dropout(cell.seed + repeat)
    Tensor.realize(*state.values(), *optimizer.b)


def seed_dropout(seed):
    """Tensor.manual_seed(seed), in place: the counter-based generator's key and counter are buffers that a
    captured TinyJit step keeps reading, so the new values are assigned into them."""
    key, counter = Tensor._device_seeds.get(device), Tensor._device_rng_counters.get(device)
    Tensor.manual_seed(seed)
    if key is not None:
        Tensor._next_counter(device, 0)  # the new key and counter, as the next draw would make them
        key.assign(Tensor._device_seeds[device]).realize()
        counter.assign(Tensor._device_rng_counters[device]).realize()
        Tensor._device_seeds[device], Tensor._device_rng_counters[device] = key, counter


def step(idx):
    with Context(TRAINING=1):  # dropout on; the optimizer refuses to step without it
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

def evaluate(batch_size=500):
    correct = Tensor.zeros((), dtype=dtypes.int32, device=device)
    for i in range(0, len(data.x_test), batch_size):  # outside Context(TRAINING=1): dropout off
        correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum()
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
    param_count=param_count, fast_path=fast_path, data=data.identity("host"), environment=environment,
    notes=[f"tinygrad's {device} device, kernels generated by its {renderer} and compiled by clang (the ziglang wheel's)",
           "fast mode is TinyJit without BEAM search: BEAM (timing candidate kernels while compiling) costs far more than a cell's time here"],
)
