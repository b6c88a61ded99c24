# resnet50-features, Chainer: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (the copy back waits for the
# device). Spec: shared/benchmarks.md. fp32: define-by-run Chainer on NumPy, in inference mode
# (chainer.config.train False, no graph recorded). fast: chainer.config.type_check = False (the documented
# switch that skips the checks of every function's inputs); iDeep has no ideep4py build for this Python.

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
hp = cell.params  # batch_size, batches, image_size, passes
cuda = cell.device == "cuda"
assert not cuda or chainer.backends.cuda.available, "this chainer has no CuPy: it would run on the CPU"
device = chainer.get_device("@cupy:0" if cuda else "@numpy")
sync = chainer.backends.cuda.Stream.null.synchronize if cuda else (lambda: None)  # NumPy returns when it is done
fast_path = ["type_check off"] if cell.fast else []  # fp32: Chainer's defaults
chainer.config.type_check = not cell.fast

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

def conv(cin, cout, k, stride=1):
    return L.Convolution2D(cin, cout, k, stride, pad=k // 2, nobias=True)


class Bottleneck(chainer.Chain):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        super().__init__()
        with self.init_scope():
            self.conv1, self.bn1 = conv(cin, width, 1), L.BatchNormalization(width, eps=1e-5)
            self.conv2, self.bn2 = conv(width, width, 3, stride), L.BatchNormalization(width, eps=1e-5)
            self.conv3, self.bn3 = conv(width, 4 * width, 1), L.BatchNormalization(4 * width, eps=1e-5)
            downsamples = stride != 1 or cin != 4 * width  # one assignment: a Chain registers a child link once
            self.downsample = chainer.Sequential(conv(cin, 4 * width, 1, stride), L.BatchNormalization(4 * width, eps=1e-5)) if downsamples else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.stem = chainer.Sequential(L.Convolution2D(3, 64, 7, 2, pad=3, nobias=True), L.BatchNormalization(64, eps=1e-5))
            cin = 64
            for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
                blocks = [Bottleneck(cin if b == 0 else 4 * width, width, (1 if i == 1 else 2) if b == 0 else 1) for b in range(n)]
                setattr(self, f"layer{i}", chainer.Sequential(*blocks))  # a child link, named as in the canonical weights
                cin = 4 * width

    def forward(self, x):
        x = F.max_pooling_2d(F.relu(self.stem(x)), 3, 2, pad=1, cover_all=False)  # cover_all=False: PyTorch's output size
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return F.mean(x, axis=(2, 3))  # global average pooling: the 2048-d features


CHAINER_NAMES = {"kernel": "W", "gamma": "gamma", "beta": "beta", "mean": "avg_mean", "var": "avg_var"}
SEQUENTIAL = {"stem.conv": "stem.0", "stem.bn": "stem.1", "downsample.conv": "downsample.0", "downsample.bn": "downsample.1"}


def array(net, name):
    """The array of a canonical name: "layer1.0.downsample.conv.kernel" is net.layer1[0].downsample[0].W
    (a Sequential's children are numbered); BatchNormalization keeps its statistics as avg_mean, avg_var."""
    module, kind = name.rsplit(".", 1)
    for canonical, ours in SEQUENTIAL.items():
        module = module.replace(canonical, ours)
    link = net
    for part in module.split("."):
        link = link[int(part)] if part.isdigit() else getattr(link, part)
    value = getattr(link, CHAINER_NAMES[kind])
    return value.array if isinstance(value, chainer.Variable) else value


net = ResNet50Features()
net.to_device(device)
for name, w in rosetta.canonical_weights("resnet50").items():
    array(net, name)[...] = device.send(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w)  # conv kernels HWIO -> OIHW
param_count = sum(p.size for p in net.params())  # not the BN statistics (persistent values, not parameters)

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (to_cpu waits for them)."""
    with chainer.using_config("train", False), chainer.no_backprop_mode():  # BatchNorm on its running statistics
        return [chainer.backends.cuda.to_cpu(net(device.send(x)).array) for x in host]


with rosetta.timed(sync) as warmup:
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

environment = rosetta.environment(cell, chainer.__version__, tf32=False)
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=["iDeep (chainer.config.use_ideep), Chainer's documented CPU fast path, is not used: ideep4py has no build for this Python"],
)
