# resnet50-features, PyTorch: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (the copy back waits for the
# device). Spec: shared/benchmarks.md. fp32: eager, TF32 off. fast: torch.compile and
# channels_last (+ bf16 autocast, TF32, cudnn.benchmark and pinned host memory on CUDA).

from collections import OrderedDict

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
hp = cell.params  # batch_size, batches, image_size, passes
device = torch.device(cell.device)
cuda = device.type == "cuda"
sync = torch.cuda.synchronize if cuda else rosetta.no_sync
fast_path = ["torch.compile", "channels_last"] if cell.fast else []  # fp32: eager, TF32 off
fast_path += ["bf16 autocast", "tf32", "cudnn.benchmark", "pinned memory"] if cell.fast and cuda else []
torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = "tf32" in fast_path
torch.backends.cudnn.benchmark = "cudnn.benchmark" in fast_path
memory_format = torch.channels_last if "channels_last" in fast_path else torch.contiguous_format
autocast = lambda: torch.autocast(device.type, torch.bfloat16, enabled="bf16 autocast" in fast_path)

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [torch.from_numpy(x).permute(0, 3, 1, 2) for x in images.batches]  # NCHW views of the NHWC arrays
host = [x.contiguous(memory_format=memory_format) for x in host]  # converted before timing
host = [x.pin_memory() for x in host] if "pinned memory" in fast_path else host

#############################################
#                  Network                  #
#############################################

class Bottleneck(nn.Module):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, 4 * width, 1, bias=False), nn.BatchNorm2d(4 * width)
        self.downsample = None
        if stride != 1 or cin != 4 * width:
            conv = nn.Conv2d(cin, 4 * width, 1, stride, bias=False)
            self.downsample = nn.Sequential(OrderedDict(conv=conv, bn=nn.BatchNorm2d(4 * width)))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(nn.Module):
    def __init__(self):
        super().__init__()
        conv = nn.Conv2d(3, 64, 7, 2, padding=3, bias=False)
        self.stem = nn.Sequential(OrderedDict(conv=conv, bn=nn.BatchNorm2d(64)))
        cin = 64
        for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
            stride = 1 if i == 1 else 2
            blocks = [Bottleneck(cin if b == 0 else 4 * width, width, stride if b == 0 else 1) for b in range(n)]
            self.add_module(f"layer{i}", nn.Sequential(*blocks))
            cin = 4 * width

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, padding=1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean((2, 3))  # global average pooling: the 2048-d features


TORCH_NAMES = {"kernel": "weight", "gamma": "weight", "beta": "bias",
               "mean": "running_mean", "var": "running_var"}


def torch_layout(weights):
    """Canonical layout to PyTorch's: conv kernels HWIO -> OIHW; BatchNorm gamma, beta, mean and
    var are PyTorch's weight, bias, running_mean and running_var."""
    state = {}
    for name, w in weights.items():
        module, kind = name.rsplit(".", 1)
        w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w
        state[f"{module}.{TORCH_NAMES[kind]}"] = torch.from_numpy(np.ascontiguousarray(w))
    return state


net = ResNet50Features().eval()
missing, unexpected = net.load_state_dict(torch_layout(rosetta.canonical_weights("resnet50")), strict=False)
assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
net = net.to(device, memory_format=memory_format)
param_count = sum(p.numel() for p in net.parameters())
model = torch.compile(net) if "torch.compile" in fast_path else net

#############################################
#                 Inference                 #
#############################################

@torch.inference_mode()
def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (a synchronising copy)."""
    features = []
    for x in host:
        with autocast():
            out = model(x.to(device, non_blocking=True))
        features.append(out.float().cpu())
    return features


with rosetta.timed(sync) as warmup:  # compilation and autotuning happen here, untimed
    rosetta.progress("warmup")
    run_pass()

seconds = []
for repeat in rosetta.repeats(cell):
    with rosetta.timed(sync) as timer:
        features = run_pass()
    seconds.append(timer.seconds)
    rosetta.progress("infer", repeat=repeat, repeats=hp.passes)

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
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].double().sum().item(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: no bf16 autocast (slow without bf16 units)"],
)
