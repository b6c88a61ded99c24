# resnet50-features, TensorFlow 2: extracts the 2048-d ResNet-50 v1.5 features (BatchNorm in
# inference mode, canonical weights and running statistics) of batches of random images and measures,
# per batch, the copy to the device, the forward pass and the copy of the features back to the host.
# Spec: shared/benchmarks.md. Keras layers as building blocks, the forward pass a tf.function.
# fp32: graph mode, TF32 off. fast on CUDA: XLA (jit_compile=True), mixed_bfloat16 and TF32; fast on
# the CPU: the same as fp32 (XLA's CPU convolutions are no faster than oneDNN's, often slower).

import numpy as np

import rosetta

try:
    import tensorflow as tf
    import keras
    from keras import layers
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # batch_size, batches, image_size, passes
cuda = cell.device == "cuda"
if cuda != bool(tf.config.list_physical_devices("GPU")):
    raise RuntimeError(f"the cell asks for {cell.device} but TensorFlow {'sees no' if cuda else 'would run on a'} GPU")
sync = tf.test.experimental.sync_devices
fast_path = ["XLA", "mixed_bfloat16", "tf32"] if cell.fast and cuda else []  # fp32: graph mode, TF32 off
tf.config.experimental.enable_tensor_float_32_execution("tf32" in fast_path)
keras.mixed_precision.set_global_policy("mixed_bfloat16" if "mixed_bfloat16" in fast_path else "float32")

#############################################
#                    Data                   #
#############################################

images = rosetta.random_images(cell)  # float32 (batches, batch_size, size, size, 3): NHWC, TensorFlow's layout, on the host

#############################################
#                  Network                  #
#############################################

def conv_bn(x, name, bn, filters, kernel, stride=1, relu=True):
    if kernel > 1:  # explicit symmetric padding: "same" pads stride-2 convolutions asymmetrically
        x = layers.ZeroPadding2D(kernel // 2)(x)
    x = layers.Conv2D(filters, kernel, stride, use_bias=False, name=name)(x)
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
net = ResNet50Features()
for layer in net.layers:
    name = layer.name.replace("_", ".")
    if isinstance(layer, layers.Conv2D):
        layer.set_weights([canonical[f"{name}.kernel"]])
    elif isinstance(layer, layers.BatchNormalization):
        layer.set_weights([canonical[f"{name}.{part}"] for part in ("gamma", "beta", "mean", "var")])
param_count = sum(int(np.prod(v.shape)) for v in net.trainable_weights)  # not the running statistics

#############################################
#                 Inference                 #
#############################################

@tf.function(jit_compile="XLA" in fast_path)
def forward(x):
    return net(x, training=False)


def extract():
    """One pass: per batch, host to device, forward in inference mode, features back to the host."""
    return [forward(tf.constant(x)).numpy() for x in images.batches]


with rosetta.timed(sync) as warmup:  # tracing and XLA compilation happen here, untimed
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

build = tf.sysconfig.get_build_info()
rosetta.report(
    cell,
    seconds=seconds, items=hp.batches * hp.batch_size, warmup_s=warmup.seconds,
    checksum=float(np.sum(features[0], dtype=np.float64)),
    param_count=param_count, fast_path=fast_path, data=images.identity("host"),
    environment=rosetta.environment(cell, tf.__version__, cuda=build.get("cuda_version"), cudnn=build.get("cudnn_version"),
                                    tf32=cuda and tf.config.experimental.tensor_float_32_execution_enabled()),  # read back
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (no XLA: its CPU convolutions are no faster "
                                            "than oneDNN's at 224x224 and 6x slower at 64x64; no mixed_bfloat16, as in the other runners)"],
)
