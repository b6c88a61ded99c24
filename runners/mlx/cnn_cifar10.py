# cnn-cifar10, MLX: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (every step ends with
# mx.eval, which runs MLX's lazy graph and waits for it), then the test accuracy (untimed).
# Spec: shared/benchmarks.md. NHWC is MLX's layout. fp32: eager, one graph built and evaluated per
# step. fast: the whole step (forward, backward, SGD) compiled by mx.compile, with the model's, the
# optimizer's and the random state as its captured inputs and outputs (its fused elementwise kernels
# are C++ that MLX builds with g++ on CPUs). Runs on MLX's CPU build (mlx-cpu) only.

import shutil
from functools import partial

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
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
mx.set_default_device(mx.gpu if cell.device == "cuda" else mx.cpu)  # raises without a GPU backend: no fallback to the CPU
sync = rosetta.no_sync  # train_step ends with mx.eval, which waits for the step's work
fast_path = ["mx.compile"] if cell.fast else []  # fp32: eager

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels; NHWC is MLX's layout
x_train, y_train = mx.array(data.x_train), mx.array(data.y_train)
x_test, y_test = mx.array(data.x_test), mx.array(data.y_test)
steps = len(data.x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 50, 3, padding=1)
        self.conv2 = nn.Conv2d(50, 50, 3, padding=1)
        self.conv3 = nn.Conv2d(50, 100, 3, padding=1)
        self.conv4 = nn.Conv2d(100, 100, 3, padding=1)
        self.dense1 = nn.Linear(8 * 8 * 100, 512)
        self.dense2 = nn.Linear(512, 10)
        self.pool = nn.MaxPool2d(2, 2)
        self.drop_conv, self.drop_dense = nn.Dropout(0.25), nn.Dropout(0.5)  # active only while net.training

    def __call__(self, x):
        x = nn.relu(self.conv2(nn.relu(self.conv1(x))))
        x = self.drop_conv(self.pool(x))
        x = nn.relu(self.conv4(nn.relu(self.conv3(x))))
        x = self.drop_conv(self.pool(x))
        x = self.drop_dense(nn.relu(self.dense1(x.reshape(x.shape[0], -1))))  # (H, W, C) flatten: the canonical order
        return self.dense2(x)


def mlx_layout(name, w):
    """Canonical layout to MLX's: conv kernels HWIO -> OHWI, dense kernels (in, out) -> (out, in)."""
    w = w.transpose(3, 0, 1, 2) if w.ndim == 4 else w.T
    return name.replace(".kernel", ".weight"), mx.array(w)


canonical = [mlx_layout(name, w) for name, w in rosetta.canonical_weights("cnn").items()]
net = CNN()
net.load_weights(canonical)  # strict: every name and shape must match (reset() loads them again)
param_count = sum(w.size for _, w in tree_flatten(net.trainable_parameters()))

#############################################
#               Training step               #
#############################################

# MLX's SGD keeps v = momentum * v + g and subtracts lr * v (no dampening, no Nesterov: its defaults)
optimizer = optim.SGD(learning_rate=hp.lr, momentum=hp.momentum)


def reset(repeat):
    """Canonical weights and fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    net.load_weights(canonical)
    fresh = optim.SGD(learning_rate=hp.lr, momentum=hp.momentum)
    fresh.init(net.trainable_parameters())
    optimizer.state.clear()  # refilled in place: the compiled step holds this very dict
    optimizer.state.update(fresh.state)
    mx.random.seed(cell.seed + repeat)  # nn.Dropout draws its masks from MLX's global random state


def loss_fn(x, y):
    return nn.losses.cross_entropy(net(x), y, reduction="mean")


def optimizer_step(x, y):
    loss, grads = nn.value_and_grad(net, loss_fn)(x, y)
    optimizer.update(net, grads)
    return loss


state = [net.state, optimizer.state, mx.random.state]  # what the compiled step reads and writes besides x and y
step = partial(mx.compile, inputs=state, outputs=state)(optimizer_step) if "mx.compile" in fast_path else optimizer_step


def train_step(idx):
    loss = step(x_train[idx], y_train[idx])
    mx.eval(loss, net.state, optimizer.state)  # run the step's graph now, as MLX's training loops do
    return loss

#############################################
#          Training and evaluation          #
#############################################

def evaluate(batch_size=500):
    net.eval()  # dropout off
    correct = sum((net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum().item()
                  for i in range(0, len(data.x_test), batch_size))
    net.train()
    return correct / len(data.x_test)


batches = [mx.array(rosetta.epoch_batches(len(data.x_train), hp.batch_size, cell.seed, epoch)) for epoch in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # tracing and compilation happen here, untimed
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
notes = ["fast mode without g++ on the PATH: mx.compile ran unfused"] if cell.fast and not shutil.which("g++") else []
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("host"),
    environment=environment, notes=notes,
)
