# resnet50-features, MXNet (Gluon): runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (the copy back waits for the
# device). Spec: shared/benchmarks.md. fp32: imperative Gluon (each operator dispatched from Python).
# fast: hybridize(static_alloc, static_shape), Gluon's documented fast path: the network traced once
# into a symbolic graph with its memory planned ahead (as the 2017 study's Gluon row).

import numpy as np

import rosetta

try:
    import mxnet as mx
    from mxnet import nd
    from mxnet.gluon import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
cuda = cell.device == "cuda"
assert not cuda or mx.runtime.Features().is_enabled("CUDA"), "this mxnet build has no CUDA: it would run on the CPU"
ctx = mx.gpu(0) if cuda else mx.cpu()
sync = nd.waitall  # MXNet's engine is asynchronous: wait for every pending operation
fast_path = ["hybridize(static_alloc, static_shape)"] if cell.fast else []  # fp32: imperative Gluon

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

class Bottleneck(nn.HybridBlock):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        super().__init__()
        conv = lambda cin, cout, k, s=1: nn.Conv2D(cout, k, s, padding=k // 2, use_bias=False, in_channels=cin)
        self.conv1, self.bn1 = conv(cin, width, 1), nn.BatchNorm(epsilon=1e-5, in_channels=width)
        self.conv2, self.bn2 = conv(width, width, 3, stride), nn.BatchNorm(epsilon=1e-5, in_channels=width)
        self.conv3, self.bn3 = conv(width, 4 * width, 1), nn.BatchNorm(epsilon=1e-5, in_channels=4 * width)
        self.downsample = None
        if stride != 1 or cin != 4 * width:
            self.downsample = nn.HybridSequential()
            self.downsample.add(conv(cin, 4 * width, 1, stride), nn.BatchNorm(epsilon=1e-5, in_channels=4 * width))

    def hybrid_forward(self, F, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.stem = nn.HybridSequential()
        self.stem.add(nn.Conv2D(64, 7, 2, padding=3, use_bias=False, in_channels=3), nn.BatchNorm(epsilon=1e-5, in_channels=64))
        self.pool = nn.MaxPool2D(3, 2, padding=1)
        cin = 64
        for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
            layer = nn.HybridSequential()
            layer.add(*[Bottleneck(cin if b == 0 else 4 * width, width, (1 if i == 1 else 2) if b == 0 else 1) for b in range(n)])
            setattr(self, f"layer{i}", layer)  # a child block, named as in the canonical weights
            cin = 4 * width

    def hybrid_forward(self, F, x):
        x = self.pool(F.relu(self.stem(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return F.mean(x, axis=(2, 3))  # global average pooling: the 2048-d features


GLUON_NAMES = {"kernel": "weight", "gamma": "gamma", "beta": "beta", "mean": "running_mean", "var": "running_var"}
SEQUENTIAL = {"stem.conv": "stem.0", "stem.bn": "stem.1", "downsample.conv": "downsample.0", "downsample.bn": "downsample.1"}


def parameter(net, name):
    """The Gluon Parameter of a canonical name: "layer1.0.downsample.conv.kernel" is
    net.layer1[0].downsample[0].weight (a HybridSequential's children are numbered)."""
    module, kind = name.rsplit(".", 1)
    for canonical, gluon in SEQUENTIAL.items():
        module = module.replace(canonical, gluon)
    block = net
    for part in module.split("."):
        block = block[int(part)] if part.isdigit() else getattr(block, part)
    return getattr(block, GLUON_NAMES[kind])


net = ResNet50Features()
net.initialize(ctx=ctx)  # then every value is replaced by the canonical one
for name, w in rosetta.canonical_weights("resnet50").items():
    parameter(net, name).set_data(nd.array(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w, ctx))  # conv kernels HWIO -> OIHW
param_count = sum(p.data().size for p in net.collect_params().values() if p.grad_req != "null")  # not the BN statistics
if "hybridize(static_alloc, static_shape)" in fast_path:
    net.hybridize(static_alloc=True, static_shape=True)

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (asnumpy waits for them)."""
    return [net(nd.array(x, ctx)).asnumpy() for x in host]


with rosetta.timed(sync) as warmup:  # the hybridized graph is built here, untimed
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

environment = rosetta.environment(cell, mx.__version__, tf32=False)
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=[] if not cell.fast else ["fast mode on the CPU: hybridize only, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"],
)
