# resnet50-features, JAX (Flax NNX): runs ResNet-50 v1.5 without its classifier over batches of
# random images, from the canonical weights with BatchNorm in inference mode, and measures per pass,
# for every batch, the copy to the device, the forward pass and the copy of the 2048-d features back
# (the copy back waits for the device). Spec: shared/benchmarks.md. Both modes jit-compile the forward
# pass (JAX's normal idiom). fp32: float32 matmul and conv precision (no TF32). fast: on CUDA, bf16
# compute with fp32 parameters, and TF32.

import numpy as np

import rosetta

try:
    import jax
    import jax.numpy as jnp
    from flax import nnx
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
jax.config.update("jax_platforms", "cuda" if cell.device == "cuda" else "cpu")  # no silent fallback to the CPU
cuda = cell.device == "cuda"
sync = rosetta.no_sync  # every batch ends with np.asarray(features): a copy that waits for the device
fast_path = ["bf16 compute", "tf32"] if cuda and cell.fast else []
jax.config.update("jax_default_matmul_precision", "tensorfloat32" if "tf32" in fast_path else "float32")
dtype = jnp.bfloat16 if "bf16 compute" in fast_path else jnp.float32  # parameters stay float32

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = list(images.batches)  # NHWC is JAX's layout: nothing to convert

#############################################
#                  Network                  #
#############################################

def conv(cin, cout, k, stride, rngs):
    """No bias; explicit symmetric padding k // 2 (a "SAME" stride-2 conv would pad asymmetrically)."""
    return nnx.Conv(cin, cout, (k, k), strides=stride, padding=k // 2, use_bias=False, dtype=dtype, rngs=rngs)


def bn(c, rngs):
    return nnx.BatchNorm(c, use_running_average=True, epsilon=1e-5, dtype=dtype, rngs=rngs)  # inference mode


class ConvBN(nnx.Module):
    def __init__(self, cin, cout, k, stride, rngs):
        self.conv, self.bn = conv(cin, cout, k, stride, rngs), bn(cout, rngs)

    def __call__(self, x):
        return self.bn(self.conv(x))


class Bottleneck(nnx.Module):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""

    def __init__(self, cin, width, stride, rngs):
        self.conv1, self.bn1 = conv(cin, width, 1, 1, rngs), bn(width, rngs)
        self.conv2, self.bn2 = conv(width, width, 3, stride, rngs), bn(width, rngs)
        self.conv3, self.bn3 = conv(width, 4 * width, 1, 1, rngs), bn(4 * width, rngs)
        self.downsample = ConvBN(cin, 4 * width, 1, stride, rngs) if stride != 1 or cin != 4 * width else None

    def __call__(self, x):
        out = nnx.relu(self.bn1(self.conv1(x)))
        out = nnx.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return nnx.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50Features(nnx.Module):
    def __init__(self, rngs):
        self.stem = ConvBN(3, 64, 7, 2, rngs)
        cin, stages = 64, []
        for n, width, stride in ((3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)):
            first = Bottleneck(cin, width, stride, rngs)  # the block that downsamples
            stages.append(nnx.List([first] + [Bottleneck(4 * width, width, 1, rngs) for _ in range(n - 1)]))
            cin = 4 * width
        self.layer1, self.layer2, self.layer3, self.layer4 = stages

    def __call__(self, x):
        x = nnx.relu(self.stem(x))
        x = nnx.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
        for block in (*self.layer1, *self.layer2, *self.layer3, *self.layer4):
            x = block(x)
        return x.mean(axis=(1, 2))  # global average pooling: the 2048-d features


def flax_path(name):
    """Canonical name to the path in this network: list indices are ints, BatchNorm's gamma and beta
    are Flax's scale and bias (mean and var are running statistics here too). Layouts already match."""
    parts = {"gamma": "scale", "beta": "bias"}
    return tuple(int(p) if p.isdigit() else parts.get(p, p) for p in name.split("."))


canonical = nnx.from_flat_state({flax_path(name): jnp.asarray(w)
                                 for name, w in rosetta.canonical_weights("resnet50").items()})
net = ResNet50Features(nnx.Rngs(params=0))
nnx.update(net, canonical)
param_count = sum(p.size for p in jax.tree.leaves(nnx.state(net, nnx.Param)))  # the running statistics are BatchStat

#############################################
#                 Inference                 #
#############################################

def forward(net, x):
    return net(x).astype(jnp.float32)


# Compiled once; tree mode (graph=False) keeps the Python work per batch small.
jit_forward = nnx.jit_partial(forward, net, graph=False)


def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (a synchronising copy)."""
    return [np.asarray(jit_forward(jax.device_put(x))) for x in host]


with rosetta.timed(sync) as warmup:  # compilation happens here, untimed
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

from jax._src.lib import cuda_versions  # the CUDA plugin's, None without it: JAX has no public API for these
versions = cuda_versions if cuda else None
precision = jax.config.jax_default_matmul_precision  # read back after the run: unset (None) is TF32 on CUDA
environment = rosetta.environment(
    cell, jax.__version__, gpu_name=jax.devices()[0].device_kind,
    tf32=cuda and precision in (None, "default", "tensorfloat32"),
    cuda=versions and "%d.%d" % divmod(versions.cuda_runtime_get_version() // 10, 100),
    cudnn=versions and versions.cudnn_get_version())
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (bf16 is slow without bf16 units)"],
)
