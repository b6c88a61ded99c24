# cnn-cifar10, PyTorch: trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: eager, TF32 off. fast: torch.compile and channels_last (+ bf16 autocast, TF32,
# cudnn.benchmark and the fused SGD on CUDA).

import numpy as np

import rosetta

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
device = torch.device(cell.device)
cuda = device.type == "cuda"
sync = torch.cuda.synchronize if cuda else rosetta.no_sync
fast_path = ["torch.compile", "channels_last"] if cell.fast else []  # fp32: eager, TF32 off
fast_path += ["bf16 autocast", "tf32", "cudnn.benchmark", "fused SGD"] if cell.fast and cuda else []
torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = "tf32" in fast_path
torch.backends.cudnn.benchmark = "cudnn.benchmark" in fast_path
memory_format = torch.channels_last if "channels_last" in fast_path else torch.contiguous_format
autocast = lambda: torch.autocast(device.type, torch.bfloat16, enabled="bf16 autocast" in fast_path)

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2).to(device, memory_format=memory_format)  # NCHW
x_train, y_train = to_device(data.x_train), torch.from_numpy(data.y_train).to(device)
x_test, y_test = to_device(data.x_test), torch.from_numpy(data.y_test).to(device)
steps = len(x_train) // hp.batch_size

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
        self.dense1 = nn.Linear(100 * 8 * 8, 512)
        self.dense2 = nn.Linear(512, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, self.training)
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, self.training)
        x = F.dropout(F.relu(self.dense1(x.flatten(1))), 0.5, self.training)
        return self.dense2(x)


def torch_layout(name, w):
    """Canonical layout to PyTorch's: HWIO -> OIHW, (in, out) -> (out, in), and the first dense
    layer's inputs from the canonical (H, W, C) flatten order to PyTorch's (C, H, W)."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T
    return torch.from_numpy(np.ascontiguousarray(w))


weights = rosetta.canonical_weights("cnn")
canonical = {name.replace(".kernel", ".weight"): torch_layout(name, w) for name, w in weights.items()}
net = CNN().to(device, memory_format=memory_format)
param_count = sum(p.numel() for p in net.parameters())
train_net = torch.compile(net) if "torch.compile" in fast_path else net

#############################################
#               Training step               #
#############################################

fused = True if "fused SGD" in fast_path else None  # None: PyTorch's default
optimizer = torch.optim.SGD(net.parameters(), lr=hp.lr, momentum=hp.momentum, fused=fused)


def reset(repeat):
    """Canonical weights and fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    net.load_state_dict(canonical)
    optimizer.state.clear()
    torch.manual_seed(cell.seed + repeat)


def train_step(idx):
    with autocast():
        loss = F.cross_entropy(train_net(x_train[idx]), y_train[idx])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()

#############################################
#          Training and evaluation          #
#############################################

@torch.no_grad()
def evaluate(batch_size=500):
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for i in range(0, len(x_test), batch_size):
        with autocast():
            correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum()
    net.train()
    return correct.item() / len(x_test)


batches = [rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [torch.from_numpy(b).to(device) for b in batches]
with rosetta.timed(sync) as warmup:  # compilation and autotuning happen here, untimed
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
        losses.append(torch.stack(step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

gpu = torch.cuda.get_device_properties(device) if cuda else None
environment = rosetta.environment(
    cell, torch.__version__, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
    gpu_name=gpu and gpu.name, gpu_memory_bytes=gpu and gpu.total_memory,
    tf32=torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32)
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment,
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: no bf16 autocast (slow without bf16 units)"],
)
