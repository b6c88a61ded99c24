# resnet50-features, tinygrad: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (.numpy() waits for them).
# Spec: shared/benchmarks.md. tinygrad is lazy: the forward pass is one graph that it schedules,
# fuses and compiles (C, clang) for its CPU device (DEV=CPU:CLANG); BatchNorm runs on its running
# statistics outside Context(TRAINING=1). fp32: that default execution, scheduled again every batch.
# fast: TinyJit, the forward pass captured once and replayed as the same kernels (no BEAM search: see notes).

import importlib.metadata

import numpy as np

import rosetta

try:
    from tinygrad import Device, Tensor, TinyJit, nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
assert cell.device == "cpu", "these runners use tinygrad's CPU device (DEV=CPU:CLANG), not tried on a GPU"
device = Device.DEFAULT  # DEV in content/frameworks/tinygrad.json
sync = Device[device].synchronize
fast_path = ["TinyJit"] if cell.fast else []  # fp32: the graph scheduled every batch

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

class ConvBN:
    def __init__(self, cin, cout, k, stride=1):
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)  # epsilon 1e-5

    def __call__(self, x):
        return self.bn(self.conv(x))


class Bottleneck:
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, 4 * width, 1, bias=False), nn.BatchNorm2d(4 * width)
        self.downsample = ConvBN(cin, 4 * width, 1, stride) if stride != 1 or cin != 4 * width else None

    def __call__(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out)).relu()
        out = self.bn3(self.conv3(out))
        return (out + (x if self.downsample is None else self.downsample(x))).relu()


class ResNet50Features:
    def __init__(self):
        self.stem = ConvBN(3, 64, 7, 2)
        cin = 64
        for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
            stride = 1 if i == 1 else 2
            blocks = [Bottleneck(cin if b == 0 else 4 * width, width, stride if b == 0 else 1) for b in range(n)]
            setattr(self, f"layer{i}", blocks)  # a list: get_state_dict names its blocks layer1.0, layer1.1, ...
            cin = 4 * width

    def __call__(self, x):
        x = self.stem(x).relu().max_pool2d(3, 2, padding=1)
        for block in self.layer1 + self.layer2 + self.layer3 + self.layer4:
            x = block(x)
        return x.mean((2, 3))  # global average pooling: the 2048-d features


TINYGRAD_NAMES = {"kernel": "weight", "gamma": "weight", "beta": "bias", "mean": "running_mean", "var": "running_var"}

net = ResNet50Features()
state = nn.state.get_state_dict(net)  # {"stem.conv.weight": Tensor, "layer1.0.bn1.running_mean": Tensor, ...}
for name, w in rosetta.canonical_weights("resnet50").items():
    module, kind = name.rsplit(".", 1)  # conv kernels HWIO -> OIHW; BatchNorm's statistics are running_mean, running_var
    state[f"{module}.{TINYGRAD_NAMES[kind]}"].assign(Tensor(np.ascontiguousarray(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w), device=device))
Tensor.realize(*state.values())
param_count = sum(t.numel() for t in state.values() if t.is_param)  # not the statistics (is_param False)
forward = TinyJit(lambda x: net(x).realize()) if "TinyJit" in fast_path else net

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (.numpy() waits for them)."""
    return [forward(Tensor(x, device=device)).numpy() for x in host]


with rosetta.timed(sync) as warmup:  # kernel compilation and the TinyJit capture happen here, untimed
    rosetta.progress("warmup")
    run_pass()
    forward(Tensor(host[0], device=device)).numpy()  # a TinyJit captures on its second call

seconds = []
for repeat in rosetta.repeats(cell):
    with rosetta.timed(sync) as timer:
        features = run_pass()
    seconds.append(timer.seconds)
    rosetta.progress("infer", repeat=repeat, repeats=hp.passes)

#############################################
#              Timing and result            #
#############################################

renderer = type(Device[device].renderer).__name__  # which code generator ran: ClangRenderer for DEV=CPU:CLANG
environment = rosetta.environment(cell, importlib.metadata.version("tinygrad"), tf32=False)  # tinygrad has no __version__
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"), environment=environment,
    notes=[f"tinygrad's {device} device, kernels generated by its {renderer} and compiled by clang (the ziglang wheel's)",
           "fast mode is TinyJit without BEAM search: BEAM (timing candidate kernels while compiling) costs far more than a cell's time here"],
)
