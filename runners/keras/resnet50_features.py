# resnet50-features, Keras 3: extracts the 2048-d ResNet-50 v1.5 features (BatchNorm in inference
# mode, canonical weights and running statistics) of batches of random images and measures, per
# batch, the copy to the device, the forward pass and the copy of the features back to the host.
# Spec: shared/benchmarks.md. One file for three backends: KERAS_BACKEND (jax, torch or tensorflow)
# picks the one that runs. fp32: predict_on_batch with compile()'s defaults (XLA on JAX, and on
# TensorFlow with a GPU; eager on PyTorch), TF32 off. fast: jit_compile=True on PyTorch
# (torch.compile) and, on CUDA, mixed_bfloat16 and TF32.

import numpy as np

import rosetta

try:
    import keras
    from keras import layers
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
backend = keras.backend.backend()
cuda = cell.device == "cuda"
# jit_compile=True adds nothing where XLA is the default (JAX; TensorFlow with a GPU) and slows TensorFlow's CPU
fast_path = (["jit_compile"] if backend == "torch" else []) + (["mixed_bfloat16", "tf32"] if cuda else [])
fast_path = fast_path if cell.fast else []
tf32 = "tf32" in fast_path
if backend == "jax":
    import jax
    jax.config.update("jax_default_matmul_precision", "tensorfloat32" if tf32 else "highest")
    sync, on_gpu = lambda: jax.block_until_ready(jax.live_arrays()), jax.default_backend() == "gpu"
    version, cuda_version, cudnn_version = f"jax {jax.__version__}", None, None
elif backend == "torch":
    import torch
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    sync, on_gpu = torch.cuda.synchronize if cuda else rosetta.no_sync, torch.cuda.is_available()
    version, cuda_version, cudnn_version = f"torch {torch.__version__}", torch.version.cuda, torch.backends.cudnn.version()
else:
    import tensorflow as tf
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    sync, on_gpu, build = tf.test.experimental.sync_devices, bool(tf.config.list_physical_devices("GPU")), tf.sysconfig.get_build_info()
    version, cuda_version, cudnn_version = f"tensorflow {tf.__version__}", build.get("cuda_version"), build.get("cudnn_version")
if cuda != on_gpu:
    raise RuntimeError(f"the cell asks for {cell.device} but Keras's {backend} backend {'sees no' if cuda else 'would run on a'} GPU")
keras.mixed_precision.set_global_policy("mixed_bfloat16" if "mixed_bfloat16" in fast_path else "float32")

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3): NHWC, Keras's layout, on the host

#############################################
#                  Network                  #
#############################################

def conv_bn(x, name, bn, filters, kernel, stride=1, relu=True):
    if kernel > 1:  # explicit symmetric padding: "same" pads stride-2 convolutions asymmetrically
        x = layers.ZeroPadding2D(kernel // 2)(x)
    # zeros: the canonical weights replace them (a random default costs JAX a compilation per shape)
    x = layers.Conv2D(filters, kernel, stride, use_bias=False, kernel_initializer="zeros", name=name)(x)
    x = layers.BatchNormalization(epsilon=1e-5, name=bn)(x)
    return layers.ReLU()(x) if relu else x


def bottleneck(x, name, width, stride):
    y = conv_bn(x, f"{name}_conv1", f"{name}_bn1", width, 1)
    y = conv_bn(y, f"{name}_conv2", f"{name}_bn2", width, 3, stride)  # v1.5: the stride is here
    y = conv_bn(y, f"{name}_conv3", f"{name}_bn3", 4 * width, 1, relu=False)
    if name.endswith("_0"):
        x = conv_bn(x, f"{name}_downsample_conv", f"{name}_downsample_bn", 4 * width, 1, stride, relu=False)
    return layers.ReLU()(layers.Add()([y, x]))


def ResNet50Features():
    inputs = keras.Input((None, None, 3))
    x = conv_bn(inputs, "stem_conv", "stem_bn", 64, 7, 2)
    x = layers.MaxPooling2D(3, 2)(layers.ZeroPadding2D(1)(x))  # after a ReLU: zero padding never wins the max
    for stage, (blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
        for i in range(blocks):
            x = bottleneck(x, f"layer{stage}_{i}", width, 2 if i == 0 and stage > 1 else 1)
    return keras.Model(inputs, layers.GlobalAveragePooling2D()(x), name="resnet50_features")


# Layer names are the canonical ones with "_" for "." (Keras's PyTorch backend allows no dots).
canonical = rosetta.canonical_weights("resnet50")
model = ResNet50Features()
for layer in model.layers:
    name = layer.name.replace("_", ".")
    if isinstance(layer, layers.Conv2D):
        layer.set_weights([canonical[f"{name}.kernel"]])
    elif isinstance(layer, layers.BatchNormalization):
        layer.set_weights([canonical[f"{name}.{part}"] for part in ("gamma", "beta", "mean", "var")])
param_count = sum(int(np.prod(v.shape)) for v in model.trainable_weights)  # not the running statistics
model.compile(jit_compile=True if "jit_compile" in fast_path else "auto")

#############################################
#                 Inference                 #
#############################################

def extract():
    """One pass: per batch, host to device, forward in inference mode, features back to the host."""
    return [model.predict_on_batch(x) for x in images.batches]


with rosetta.timed(sync) as warmup:  # tracing and compilation happen here, untimed
    extract()

seconds = []
for repeat in rosetta.repeats(cell):
    with rosetta.timed(sync) as timer:
        features = extract()
    seconds.append(timer.seconds)
    rosetta.progress("infer", repeat=repeat, repeats=hp.passes, step=hp.batches, steps=hp.batches, every=1)

#############################################
#              Timing and result            #
#############################################

tf32 = {"jax": lambda: jax.config.jax_default_matmul_precision in (None, "default", "tensorfloat32"),  # unset: TF32 on CUDA
        "torch": lambda: torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32,
        "tensorflow": lambda: tf.config.experimental.tensor_float_32_execution_enabled()}[backend]()  # read back, not declared
fast_path = [p for p in fast_path if p != "jit_compile" or model.jit_compile]
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=float(np.sum(features[0], dtype=np.float64)),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=rosetta.environment(cell, f"{keras.__version__} ({version})", cuda=cuda_version, cudnn=cudnn_version, tf32=cuda and tf32),
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: no mixed_bfloat16 (slower than fp32 on CPUs without bf16 units)"
                                            + ("" if backend == "torch" else "; no jit_compile=True (XLA is JAX's default; on "
                                               "TensorFlow's CPU its convolutions are slower than the default kernels)")],
)
