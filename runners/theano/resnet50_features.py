# resnet50-features, Theano: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back. Spec: shared/benchmarks.md.
# Theano is the engine under Lasagne: the network is a symbolic expression over shared variables, and
# theano.function compiles it into one C program (g++) once, during the untimed warm-up.
# fp32: Theano's default mode, FAST_RUN (graph optimizations, C code, intermediates freed after each call).
# fast: the same graph with the cvm_nogc linker (intermediates kept between calls) and trust_input
# (no input checks): the "faster Theano function" switches of Theano's FAQ. No bf16 in Theano.

import numpy as np

import rosetta

try:
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import conv2d, relu
    from theano.tensor.nnet.bn import batch_normalization
    from theano.tensor.signal.pool import pool_2d
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
assert cell.device == "cpu", "this Theano has no GPU backend (pygpu): it would run on the CPU"
assert theano.config.floatX == "float32", "THEANO_FLAGS must set floatX=float32"
sync = rosetta.no_sync  # a Theano function returns when its results are computed
fast_path = ["cvm_nogc linker", "trust_input"] if cell.fast else []  # fp32: FAST_RUN as it comes
mode = theano.Mode(linker="cvm_nogc") if "cvm_nogc linker" in fast_path else theano.compile.get_default_mode()  # FAST_RUN

#############################################
#                    Data                   #
#############################################

data = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in data.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

theano_layout = lambda w: np.ascontiguousarray(w.transpose(3, 2, 0, 1)) if w.ndim == 4 else w  # conv kernels HWIO -> OIHW
canonical = {name: theano_layout(w) for name, w in rosetta.canonical_weights("resnet50").items()}
p = {name: theano.shared(w, name=name) for name, w in canonical.items()}  # parameters and BN statistics, by canonical name


def conv_bn(x, conv, bn, stride=1):
    """A conv without bias (a cross-correlation: filter_flip=False), then BatchNorm on its running statistics."""
    kernel = p[f"{conv}.kernel"]
    pad = kernel.get_value().shape[-1] // 2
    x = conv2d(x, kernel, border_mode=(pad, pad), subsample=(stride, stride), filter_flip=False)
    gamma, beta, mean, var = (p[f"{bn}.{kind}"].dimshuffle("x", 0, "x", "x") for kind in ("gamma", "beta", "mean", "var"))
    # batch_normalization_test rejects epsilon 1e-5 in float32 (float32(1e-5) < 1e-5): the form that takes the std
    return batch_normalization(x, gamma, beta, mean, T.sqrt(var + 1e-5), mode="high_mem")


def bottleneck(x, name, stride, downsample):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""
    out = relu(conv_bn(x, f"{name}.conv1", f"{name}.bn1"))
    out = relu(conv_bn(out, f"{name}.conv2", f"{name}.bn2", stride))
    out = conv_bn(out, f"{name}.conv3", f"{name}.bn3")
    return relu(out + (conv_bn(x, f"{name}.downsample.conv", f"{name}.downsample.bn", stride) if downsample else x))


def network(x):
    x = relu(conv_bn(x, "stem.conv", "stem.bn", 2))
    x = pool_2d(x, ws=(3, 3), stride=(2, 2), pad=(1, 1), ignore_border=True, mode="max")
    for i, blocks in enumerate([3, 4, 6, 3], start=1):  # the bottlenecks of each stage
        for b in range(blocks):
            x = bottleneck(x, f"layer{i}.{b}", (1 if i == 1 else 2) if b == 0 else 1, downsample=b == 0)
    return x.mean(axis=(2, 3))  # global average pooling: the 2048-d features


images = T.tensor4("images")  # NCHW
features = network(images)
param_count = sum(w.get_value().size for name, w in p.items() if not name.endswith((".mean", ".var")))  # not BN statistics

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: the input in, forward, the features out (a NumPy array: on the CPU, no copies)."""
    return [extract(x) for x in host]


with rosetta.timed(sync) as warmup:  # compiling (g++, or Theano's compile cache) and one pass
    rosetta.progress("warmup")
    extract = theano.function([images], features, mode=mode)
    extract.trust_input = "trust_input" in fast_path
    run_pass()

seconds = []
for repeat in rosetta.repeats(cell):
    with rosetta.timed(sync) as timer:
        features_out = run_pass()
    seconds.append(timer.seconds)
    rosetta.progress("infer", repeat=repeat, repeats=hp.passes)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, theano.__version__, tf32=False)
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features_out[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=data.identity("host"),
    environment=environment,
)
