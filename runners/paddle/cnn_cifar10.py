# cnn-cifar10, PaddlePaddle: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: the dynamic graph (eager, Paddle's default), NCHW. fast: paddle.jit.to_static around the
# network (forward and backward run as one static program; the loss and the optimizer stay eager).

import os

import numpy as np

import rosetta

os.environ.setdefault("FLAGS_paddle_num_threads", str(len(os.sched_getaffinity(0))))  # Paddle's default is 1 thread
try:
    import paddle
    import paddle.nn.functional as F
    from paddle import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
cuda = cell.device == "cuda"
assert not cuda or paddle.is_compiled_with_cuda(), "this paddlepaddle is the CPU build: it would run on the CPU"
paddle.set_device("gpu" if cuda else "cpu")
sync = paddle.device.synchronize if cuda else rosetta.no_sync  # on the CPU an operator returns when it is done
fast_path = ["paddle.jit.to_static"] if cell.fast else []  # fp32: the dynamic graph

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: paddle.to_tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW, Paddle's default layout
x_train, y_train = to_device(data.x_train), paddle.to_tensor(data.y_train)
x_test, y_test = to_device(data.x_test), paddle.to_tensor(data.y_test)
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN(nn.Layer):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(3, 50, 3, padding=1)
        self.conv2 = nn.Conv2D(50, 50, 3, padding=1)
        self.conv3 = nn.Conv2D(50, 100, 3, padding=1)
        self.conv4 = nn.Conv2D(100, 100, 3, padding=1)
        self.dense1 = nn.Linear(100 * 8 * 8, 512)
        self.dense2 = nn.Linear(512, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, training=self.training)
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, training=self.training)
        x = F.dropout(F.relu(self.dense1(x.flatten(1))), 0.5, training=self.training)
        return self.dense2(x)


def paddle_layout(name, w):
    """Canonical layout to Paddle's: conv kernels HWIO -> OIHW; dense kernels are (in, out) in Paddle
    too, but the first dense layer's inputs go from the canonical (H, W, C) flatten order to (C, H, W)."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w
    return np.ascontiguousarray(w)


weights = rosetta.canonical_weights("cnn")
canonical = {name.replace(".kernel", ".weight"): paddle_layout(name, w) for name, w in weights.items()}
net = CNN()
param_count = sum(p.numel().item() for p in net.parameters())
if cell.fast:  # the same layer, its forward traced into a static program (PIR) on its first call; the default
    net = paddle.jit.to_static(net, full_graph=True)  # backend, CINN, where the wheel has it, else Paddle's PHI kernels

#############################################
#               Training step               #
#############################################

def reset(repeat):
    """Canonical weights and a fresh optimizer; repeat r draws its dropout masks from seed + r."""
    global optimizer
    net.set_state_dict(canonical)
    # Paddle's Momentum keeps v = momentum * v + g and subtracts lr * v: the spec's update
    optimizer = paddle.optimizer.Momentum(hp.lr, hp.momentum, parameters=net.parameters())
    paddle.seed(cell.seed + repeat)


def train_step(idx):
    loss = F.cross_entropy(net(x_train[idx]), y_train[idx])  # the batch's mean
    loss.backward()
    optimizer.step()
    optimizer.clear_grad()
    return loss.detach()

#############################################
#          Training and evaluation          #
#############################################

@paddle.no_grad()
def evaluate(batch_size=500):
    net.eval()
    correct = paddle.zeros([], dtype="int64")
    for i in range(0, len(x_test), batch_size):
        correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum()
    net.train()
    return correct.item() / len(x_test)


batches = [paddle.to_tensor(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch)) for epoch in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # to_static traces and builds its program here, untimed
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
        losses.append(paddle.stack(step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

notes = []
if cell.fast:  # what to_static ran, read back: its static programs and their backend
    programs, backend = len(net.forward.program_cache), net.forward._kwargs["backend"].name
    assert programs, "to_static traced no static program: the network ran eagerly"
    notes.append(f"paddle.jit.to_static: {programs} static program(s) (training and evaluation), backend {backend} "
                 f"(CINN needs a CUDA build with CINN; this one: {paddle.is_compiled_with_cinn()})")
threads = paddle.get_flags("FLAGS_paddle_num_threads")["FLAGS_paddle_num_threads"]
notes.append(f"{threads} CPU threads (FLAGS_paddle_num_threads, set to the cores this process may use; Paddle's default is 1)")
environment = rosetta.environment(cell, paddle.__version__, cuda=paddle.version.cuda(), cudnn=paddle.version.cudnn(), tf32=False)
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment, notes=notes,
)
