# resnet50-features, ONNX Runtime: runs ResNet-50 v1.5 without its classifier over batches of random
# images, from the canonical weights, and measures per pass, for every batch, the copy to the
# device, the forward pass and the copy of the 2048-d features back (session.run does all three).
# Spec: shared/benchmarks.md. The network is an ONNX graph written here with onnx.helper, run by an
# InferenceSession on the CPU execution provider (CUDA's on a cuda cell). fp32: the basic graph
# optimizations (BatchNorm folded into the convs), TF32 off. fast: all of them (ORT_ENABLE_ALL: fused
# activations and residual adds, the NCHWc layout on CPUs) (+ TF32 on CUDA).

import os

import numpy as np

import rosetta

try:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
cuda = cell.device == "cuda"
sync = rosetta.no_sync  # session.run returns the features in host memory: the device has finished
fast_path = ["ORT_ENABLE_ALL"] if cell.fast else []  # fp32: ORT_ENABLE_BASIC, TF32 off
fast_path += ["tf32"] if cell.fast and cuda else []
options, level = ort.SessionOptions(), ort.GraphOptimizationLevel
options.graph_optimization_level = level.ORT_ENABLE_ALL if "ORT_ENABLE_ALL" in fast_path else level.ORT_ENABLE_BASIC
# ORT's own thread pool spins while idle: it follows OMP_WAIT_POLICY (rosetta sets PASSIVE) as OpenMP does.
options.add_session_config_entry("session.intra_op.allow_spinning", "1" if os.environ["OMP_WAIT_POLICY"] == "ACTIVE" else "0")
providers = [("CUDAExecutionProvider", {"use_tf32": int("tf32" in fast_path)})] if cuda else ["CPUExecutionProvider"]

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3), NHWC
host = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in images.batches]  # NCHW, converted before timing

#############################################
#                  Network                  #
#############################################

canonical = rosetta.canonical_weights("resnet50")
nodes, initializers = [], {}  # the graph, written node by node; its weights by canonical name


def node(op, *inputs, **attributes):
    """Appends one node to the graph and returns the name of its output."""
    nodes.append(helper.make_node(op, list(inputs), [f"{op}_{len(nodes)}"], **attributes))
    return nodes[-1].output[0]


def conv(x, name, stride=1):
    """No bias; explicit symmetric padding k // 2. Canonical HWIO kernel -> ONNX's OIHW."""
    initializers[f"{name}.kernel"] = kernel = canonical[f"{name}.kernel"].transpose(3, 2, 0, 1)
    k = kernel.shape[-1]
    return node("Conv", x, f"{name}.kernel", kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)


def bn(x, name):
    """BatchNorm in inference mode (ONNX's only mode): gamma, beta and the running mean and var."""
    stats = [f"{name}.{s}" for s in ("gamma", "beta", "mean", "var")]
    initializers.update({s: canonical[s] for s in stats})
    return node("BatchNormalization", x, *stats, epsilon=1e-5)


relu = lambda x: node("Relu", x)


def bottleneck(x, name, cin, width, stride):
    """ResNet v1.5: a block that downsamples has its stride on the 3x3 conv."""
    out = relu(bn(conv(x, f"{name}.conv1"), f"{name}.bn1"))
    out = relu(bn(conv(out, f"{name}.conv2", stride), f"{name}.bn2"))
    out = bn(conv(out, f"{name}.conv3"), f"{name}.bn3")
    if stride != 1 or cin != 4 * width:
        x = bn(conv(x, f"{name}.downsample.conv", stride), f"{name}.downsample.bn")
    return relu(node("Add", out, x))


x = node("MaxPool", relu(bn(conv("images", "stem.conv", 2), "stem.bn")), kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4)
cin = 64
for i, (n, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
    stride = 1 if i == 1 else 2
    for b in range(n):
        x = bottleneck(x, f"layer{i}.{b}", cin if b == 0 else 4 * width, width, stride if b == 0 else 1)
    cin = 4 * width
output = node("Flatten", node("GlobalAveragePool", x))  # global average pooling: the 2048-d features

graph = helper.make_graph(
    nodes, "resnet50_features",
    [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, hp.image_size, hp.image_size])],
    [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", 2048])],
    [numpy_helper.from_array(np.ascontiguousarray(w), name) for name, w in initializers.items()])
model = helper.make_model_gen_version(graph, opset_imports=[helper.make_opsetid("", 21)])  # opset 21, its IR version
onnx.checker.check_model(model)  # valid ONNX: any runtime could run this graph
param_count = sum(w.size for name, w in initializers.items() if not name.endswith((".mean", ".var")))  # not the BN statistics
session = ort.InferenceSession(model.SerializeToString(), options, providers=providers)
assert session.get_providers()[0] == ("CUDAExecutionProvider" if cuda else "CPUExecutionProvider"), session.get_providers()

#############################################
#                 Inference                 #
#############################################

def run_pass():
    """One pass over all batches: copy in, forward, copy the features out (session.run does all three)."""
    return [session.run(None, {"images": x})[0] for x in host]


with rosetta.timed(sync) as warmup:  # first-run allocations (and cuDNN's algorithm search on CUDA) happen here, untimed
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

environment = rosetta.environment(cell, ort.__version__, cuda=ort.cuda_version or None, tf32="tf32" in fast_path)
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=features[0].astype(np.float64).sum(),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=environment,
    notes=["fast mode on CUDA: TF32 but no fp16 (the graph is written in fp32)"] if cuda and cell.fast else [],
)
