# resnet50-features, MLX: runs ResNet-50 v1.5 without its classifier over batches of random images,
# from the canonical weights with BatchNorm in inference mode, and measures per pass, for every
# batch, the copy to the device, the forward pass and the copy of the 2048-d features back (the copy
# back evaluates MLX's lazy graph and waits for it). Spec: shared/benchmarks.md. NHWC is MLX's
# layout. fp32: eager, one graph built and evaluated per batch. fast: the forward traced once and
# compiled by mx.compile (its fused elementwise kernels are C++ that MLX builds with g++ on CPUs).
# Runs on MLX's CPU build (mlx-cpu) only.

import shutil

import numpy as np

import rosetta

try:
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
mx.set_default_device(mx.gpu if cell.device == "cuda" else mx.cpu)  # raises without a GPU backend: no fallback to the CPU
sync = rosetta.no_sync  # every batch ends with np.array(features): it evaluates the graph and waits
fast_path = ["mx.compile"] if cell.fast else []  # fp32: eager

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = list(images.batches)  # NHWC is MLX's layout: nothing to convert

#############################################
#                  Network                  #
#############################################

def conv(cin, cout, k, stride=1):
    """No bias; explicit symmetric padding k // 2."""
    return nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False)


def bn(c):
    return nn.BatchNorm(c, eps=1e-5)  # inference mode once net.eval() is called


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv, self.bn = conv(cin, cout, k, stride), bn(cout)

    def __call__(self, x):
        return self.bn(self.conv(x))


class Bottleneck(nn.Module):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, width, 1), bn(width)
        self.conv2, self.bn2 = conv(width, width, 3, stride), bn(width)
        self.conv3, self.bn3 = conv(width, 4 * width, 1), bn(4 * width)
        self.downsample = ConvBN(cin, 4 * width, 1, stride) if stride != 1 or cin != 4 * width else None

    def __call__(self, x):
        out = nn.relu(self.bn1(self.conv1(x)))
        out = nn.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return nn.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 64, 7, 2)
        self.pool = nn.MaxPool2d(3, 2, padding=1)  # pads with -inf
        cin = 64
        for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", [Bottleneck(cin if b == 0 else 4 * width, width, stride if b == 0 else 1) for b in range(n)])
            cin = 4 * width

    def __call__(self, x):
        x = self.pool(nn.relu(self.stem(x)))
        for block in (*self.layer1, *self.layer2, *self.layer3, *self.layer4):
            x = block(x)
        return x.mean(axis=(1, 2))  # global average pooling: the 2048-d features


MLX_NAMES = {"kernel": "weight", "gamma": "weight", "beta": "bias", "mean": "running_mean", "var": "running_var"}


def mlx_layout(weights):
    """Canonical layout to MLX's: conv kernels HWIO -> OHWI; BatchNorm gamma, beta, mean and var are
    MLX's weight, bias, running_mean and running_var."""
    named = []
    for name, w in weights.items():
        module, kind = name.rsplit(".", 1)
        w = w.transpose(3, 0, 1, 2) if w.ndim == 4 else w
        named.append((f"{module}.{MLX_NAMES[kind]}", mx.array(w)))
    return named


net = ResNet50Features()
net.load_weights(mlx_layout(rosetta.canonical_weights("resnet50")))  # strict: every name and shape must match
net.eval()  # BatchNorm uses the running statistics
mx.eval(net.parameters())
param_count = sum(w.size for _, w in tree_flatten(net.trainable_parameters()))  # running statistics are frozen
model = mx.compile(net) if "mx.compile" in fast_path else net  # traced once per input shape; the weights never change here

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (np.array evaluates and copies)."""
    return [np.array(model(mx.array(x))) for x in host]


with rosetta.timed(sync) as warmup:  # tracing and compilation happen here, untimed
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

environment = rosetta.environment(cell, mx.__version__, tf32=False)  # CPU only: no TF32 to turn on
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=["fast mode without g++ on the PATH: mx.compile ran unfused"] if cell.fast and not shutil.which("g++") else [],
)
