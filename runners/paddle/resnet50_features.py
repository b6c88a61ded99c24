# resnet50-features, PaddlePaddle: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (the copy back waits for the
# device). Spec: shared/benchmarks.md. fp32: the dynamic graph (eager, Paddle's default), NCHW,
# in inference mode (net.eval(), no gradients recorded). fast: paddle.jit.to_static around the network.

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
hp = cell.params  # batch_size, batches, image_size, passes
cuda = cell.device == "cuda"
assert not cuda or paddle.is_compiled_with_cuda(), "this paddlepaddle is the CPU build: it would run on the CPU"
paddle.set_device("gpu" if cuda else "cpu")
sync = paddle.device.synchronize if cuda else rosetta.no_sync  # on the CPU an operator returns when it is done
fast_path = ["paddle.jit.to_static"] if cell.fast else []  # fp32: the dynamic graph

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

def conv_bn(cin, cout, k, stride=1):
    """A convolution without bias and its BatchNorm, named conv and bn as in the canonical weights."""
    conv = nn.Conv2D(cin, cout, k, stride, padding=k // 2, bias_attr=False)
    return nn.Sequential(("conv", conv), ("bn", nn.BatchNorm2D(cout, epsilon=1e-5)))


class Bottleneck(nn.Layer):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2D(cin, width, 1, bias_attr=False), nn.BatchNorm2D(width, epsilon=1e-5)
        self.conv2, self.bn2 = nn.Conv2D(width, width, 3, stride, padding=1, bias_attr=False), nn.BatchNorm2D(width, epsilon=1e-5)
        self.conv3, self.bn3 = nn.Conv2D(width, 4 * width, 1, bias_attr=False), nn.BatchNorm2D(4 * width, epsilon=1e-5)
        self.downsample = conv_bn(cin, 4 * width, 1, stride) if stride != 1 or cin != 4 * width else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(nn.Layer):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        cin = 64
        for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
            stride = 1 if i == 1 else 2
            blocks = [Bottleneck(cin if b == 0 else 4 * width, width, stride if b == 0 else 1) for b in range(n)]
            self.add_sublayer(f"layer{i}", nn.Sequential(*blocks))
            cin = 4 * width

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, padding=1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean([2, 3])  # global average pooling: the 2048-d features


PADDLE_NAMES = {"kernel": "weight", "gamma": "weight", "beta": "bias", "mean": "_mean", "var": "_variance"}


def paddle_layout(weights):
    """Canonical layout to Paddle's: conv kernels HWIO -> OIHW; BatchNorm gamma, beta, mean and var
    are Paddle's weight, bias, _mean and _variance."""
    state = {}
    for name, w in weights.items():
        module, kind = name.rsplit(".", 1)
        state[f"{module}.{PADDLE_NAMES[kind]}"] = np.ascontiguousarray(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w)
    return state


net = ResNet50Features()
missing, unexpected = net.set_state_dict(paddle_layout(rosetta.canonical_weights("resnet50")))
assert not missing and not unexpected, (missing, unexpected)
net.eval()
param_count = sum(p.numel().item() for p in net.parameters() if p.trainable)  # BatchNorm's _mean, _variance are frozen parameters
if cell.fast:  # the same layer, its forward traced into a static program (PIR) on its first call; the default
    net = paddle.jit.to_static(net, full_graph=True)  # backend, CINN, where the wheel has it, else Paddle's PHI kernels

#############################################
#                 Inference                 #
#############################################

@paddle.no_grad()
def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (numpy() waits for them)."""
    return [net(paddle.to_tensor(x)).numpy() for x in host]


with rosetta.timed(sync) as warmup:  # to_static traces and builds its program here, untimed
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

notes = []
if cell.fast:  # what to_static ran, read back: its static programs and their backend
    programs, backend = len(net.forward.program_cache), net.forward._kwargs["backend"].name
    assert programs, "to_static traced no static program: the network ran eagerly"
    notes.append(f"paddle.jit.to_static: {programs} static program(s), backend {backend} "
                 f"(CINN needs a CUDA build with CINN; this one: {paddle.is_compiled_with_cinn()})")
threads = paddle.get_flags("FLAGS_paddle_num_threads")["FLAGS_paddle_num_threads"]
notes.append(f"{threads} CPU threads (FLAGS_paddle_num_threads, set to the cores this process may use; Paddle's default is 1)")
environment = rosetta.environment(cell, paddle.__version__, cuda=paddle.version.cuda(), cudnn=paddle.version.cudnn(), tf32=False)
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment, notes=notes,
)
