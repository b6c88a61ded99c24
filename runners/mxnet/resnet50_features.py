# resnet50-features, MXNet (symbolic): runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (the copy back waits for the
# device). Spec: shared/benchmarks.md. The network is an mx.sym graph bound by mx.mod.Module, as the
# 2017 study's MXNet row: MXNet plans the graph and its memory once, at bind time, in both modes.
# Binding an inference graph on the CPU applies MXNet's default subgraph backend (MKLDNN: oneDNN fuses
# convolution, BatchNorm and ReLU), in both modes. fast: nothing beyond fp32 (no bf16 AMP) on the CPU.

import os

import numpy as np

import rosetta

try:
    import mxnet as mx
    from mxnet import nd
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
fast_path = []  # the symbolic graph is MXNet's fast path already; no bf16 on the CPU

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

def conv_bn(x, name, bn, channels, kernel, stride=1):
    """A convolution without bias and its BatchNorm, named as in the canonical weights (layer1.0.conv1_weight, layer1.0.bn1_gamma)."""
    x = mx.sym.Convolution(x, kernel=(kernel, kernel), stride=(stride, stride), pad=(kernel // 2, kernel // 2),
                           num_filter=channels, no_bias=True, name=name)
    return mx.sym.BatchNorm(x, eps=1e-5, fix_gamma=False, name=bn)  # fix_gamma's default True would ignore gamma


def bottleneck(x, name, cin, width, stride):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""
    out = mx.sym.relu(conv_bn(x, f"{name}.conv1", f"{name}.bn1", width, 1))
    out = mx.sym.relu(conv_bn(out, f"{name}.conv2", f"{name}.bn2", width, 3, stride))
    out = conv_bn(out, f"{name}.conv3", f"{name}.bn3", 4 * width, 1)
    if stride != 1 or cin != 4 * width:
        x = conv_bn(x, f"{name}.downsample.conv", f"{name}.downsample.bn", 4 * width, 1, stride)
    return mx.sym.relu(out + x)


x = mx.sym.relu(conv_bn(mx.sym.Variable("data"), "stem.conv", "stem.bn", 64, 7, 2))
x = mx.sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
cin = 64
for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
    for b in range(n):
        x = bottleneck(x, f"layer{i}.{b}", cin, width, (1 if i == 1 else 2) if b == 0 else 1)
        cin = 4 * width
net = mx.sym.flatten(mx.sym.Pooling(x, global_pool=True, kernel=(1, 1), pool_type="avg"))  # the 2048-d features

MXNET_NAMES = {"kernel": "weight", "gamma": "gamma", "beta": "beta", "mean": "moving_mean", "var": "moving_var"}
arg_params, aux_params = {}, {}  # parameters, and the BatchNorm statistics (MXNet's auxiliary states)
for name, w in rosetta.canonical_weights("resnet50").items():
    module, kind = name.rsplit(".", 1)
    params = aux_params if kind in ("mean", "var") else arg_params
    params[f"{module}_{MXNET_NAMES[kind]}"] = nd.array(w.transpose(3, 2, 0, 1) if w.ndim == 4 else w, ctx)  # conv kernels HWIO -> OIHW
mod = mx.mod.Module(net, data_names=["data"], label_names=None, context=ctx)
mod.bind(data_shapes=[("data", (hp.batch_size, 3, hp.image_size, hp.image_size))], for_training=False)
mod.set_params(arg_params, aux_params)  # every parameter of the graph must be given one
shapes = dict(zip(net.list_arguments(), net.infer_shape(data=(1, 3, hp.image_size, hp.image_size))[0]))
param_count = sum(int(np.prod(shape)) for name, shape in shapes.items() if name != "data")  # not the BN statistics

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (asnumpy waits for them)."""
    features = []
    for x in host:
        mod.forward(mx.io.DataBatch(data=[nd.array(x, ctx)]), is_train=False)
        features.append(mod.get_outputs()[0].asnumpy())
    return features


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

environment = rosetta.environment(cell, mx.__version__, tf32=False)
notes = [] if not cell.fast else ["fast mode on the CPU: the same bound symbolic graph as fp32, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"]
if not cuda and os.environ.get("MXNET_SUBGRAPH_BACKEND", "MKLDNN") == "MKLDNN":  # MXNet's default on CPUs
    notes += ["Module.bind of the inference graph applied MXNet's default CPU subgraph backend (MXNET_SUBGRAPH_BACKEND=MKLDNN: "
              "oneDNN's fused convolution + BatchNorm + ReLU, sg_mkldnn_conv_bn in the bound graph), in both modes"]
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment, notes=notes,
)
