# resnet50-features, R - Keras (TensorFlow): extracts the 2048-d ResNet-50 v1.5 features (BatchNorm in
# inference mode, canonical weights and running statistics) of batches of random images and measures,
# per batch, the copy to the device, the forward pass and the copy of the features back to the host.
# Spec: shared/benchmarks.md. R drives Keras 3 on TensorFlow through reticulate, as R's keras3 package
# does (host.py embeds the environment's Python): the same calls as runners/keras/resnet50_features.py,
# made from R, each batch from R. fp32: predict_on_batch with compile()'s defaults (a tf.function; XLA
# only with a GPU), TF32 off. fast: mixed_bfloat16 and TF32 on CUDA; on the CPU the same as fp32.

library(reticulate)
rosetta <- import("rosetta", convert = FALSE)  # first: claims stdout; its arrays stay NumPy arrays

keras <- tryCatch(import("keras"), error = function(error) {
  message("rosetta: the framework cannot be imported: ", py_last_error()$type, ": ", trimws(py_last_error()$value))
  quit(status = 3)  # as rosetta.unavailable: the build reports the cell unavailable
})
layers <- keras$layers
tf <- import("tensorflow")
np <- import("numpy", convert = FALSE)
builtins <- import_builtins()

#############################################
#              Hyper-parameters             #
#############################################

cell <- py_to_r(rosetta$read_cell(commandArgs(trailingOnly = TRUE)))  # its fields read as R values
hp <- cell$params  # batch_size, batches, image_size, passes
backend <- keras$backend$backend()  # "tensorflow" (KERAS_BACKEND): the study's R row is Keras on TensorFlow
cuda <- cell$device == "cuda"
# jit_compile=True adds nothing where XLA is the default (TensorFlow with a GPU) and slows TensorFlow's CPU
fast_path <- if (cell$fast && cuda) c("mixed_bfloat16", "tf32") else character()
tf$config$experimental$enable_tensor_float_32_execution("tf32" %in% fast_path)
sync <- tf$test$experimental$sync_devices
build <- tf$sysconfig$get_build_info()
version <- sprintf("R %s, reticulate %s, Keras %s (tensorflow %s)", getRversion(), packageVersion("reticulate"), keras$`__version__`, tf$`__version__`)
if (cuda != (length(tf$config$list_physical_devices("GPU")) > 0)) {
  stop(sprintf("the cell asks for %s but Keras's %s backend %s GPU", cell$device, backend, if (cuda) "sees no" else "would run on a"))
}
keras$mixed_precision$set_global_policy(if ("mixed_bfloat16" %in% fast_path) "mixed_bfloat16" else "float32")

#############################################
#                    Data                   #
#############################################

images <- rosetta$random_images(cell)  # float32 (batches, batch_size, size, size, 3): NHWC, Keras's layout, on the host

#############################################
#                  Network                  #
#############################################

conv_bn <- function(x, name, bn, filters, kernel, stride = 1L, relu = TRUE) {
  if (kernel > 1L) {  # explicit symmetric padding: "same" pads stride-2 convolutions asymmetrically
    x <- layers$ZeroPadding2D(kernel %/% 2L)(x)
  }
  # zeros: the canonical weights replace them
  x <- layers$Conv2D(filters, kernel, stride, use_bias = FALSE, kernel_initializer = "zeros", name = name)(x)
  x <- layers$BatchNormalization(epsilon = 1e-5, name = bn)(x)
  if (relu) layers$ReLU()(x) else x
}

bottleneck <- function(x, name, width, stride) {
  y <- conv_bn(x, paste0(name, "_conv1"), paste0(name, "_bn1"), width, 1L)
  y <- conv_bn(y, paste0(name, "_conv2"), paste0(name, "_bn2"), width, 3L, stride)  # v1.5: the stride is here
  y <- conv_bn(y, paste0(name, "_conv3"), paste0(name, "_bn3"), 4L * width, 1L, relu = FALSE)
  if (endsWith(name, "_0")) {
    x <- conv_bn(x, paste0(name, "_downsample_conv"), paste0(name, "_downsample_bn"), 4L * width, 1L, stride, relu = FALSE)
  }
  layers$ReLU()(layers$Add()(list(y, x)))
}

ResNet50Features <- function() {
  inputs <- keras$Input(list(NULL, NULL, 3L))
  x <- conv_bn(inputs, "stem_conv", "stem_bn", 64L, 7L, 2L)
  x <- layers$MaxPooling2D(3L, 2L)(layers$ZeroPadding2D(1L)(x))  # after a ReLU: zero padding never wins the max
  stages <- list(c(3L, 64L), c(4L, 128L), c(6L, 256L), c(3L, 512L))  # blocks, width
  for (stage in seq_along(stages)) {
    for (i in seq_len(stages[[stage]][1]) - 1L) {
      x <- bottleneck(x, sprintf("layer%d_%d", stage, i), stages[[stage]][2], if (i == 0L && stage > 1L) 2L else 1L)
    }
  }
  keras$Model(inputs, layers$GlobalAveragePooling2D()(x), name = "resnet50_features")
}

# Layer names are the canonical ones with "_" for "." (as in the Keras runner, which shares them with PyTorch's backend).
canonical <- py_to_r(rosetta$canonical_weights("resnet50"))  # an R list of NumPy arrays, by canonical name
model <- ResNet50Features()
for (layer in model$layers) {
  name <- gsub("_", ".", layer$name)
  if (builtins$isinstance(layer, layers$Conv2D)) {
    layer$set_weights(list(canonical[[paste0(name, ".kernel")]]))
  } else if (builtins$isinstance(layer, layers$BatchNormalization)) {
    layer$set_weights(lapply(c("gamma", "beta", "mean", "var"), function(part) canonical[[paste(name, part, sep = ".")]]))
  }
}
param_count <- sum(sapply(model$trainable_weights, function(v) v$shape$num_elements()))  # a TensorShape; not the running statistics
model$compile()

#############################################
#                 Inference                 #
#############################################

extract <- function() {
  # One pass: per batch, host to device, forward in inference mode, features back to the host.
  iterate(images$batches, model$predict_on_batch, simplify = FALSE)
}

with(rosetta$timed(sync) %as% warmup, {  # tracing and compilation happen here, untimed
  extract()
})

seconds <- iterate(py_to_r(rosetta$repeats(cell)), function(r) {  # pass r: 1, 2, ...
  with(rosetta$timed(sync) %as% timer, {
    features <<- extract()
  })
  rosetta$progress("infer", `repeat` = r, repeats = hp$passes, step = hp$batches, steps = hp$batches, every = 1L)
  py_to_r(timer$seconds)
}, simplify = FALSE)

#############################################
#              Timing and result            #
#############################################

tf32 <- tf$config$experimental$tensor_float_32_execution_enabled()  # read back, not declared
rosetta$report(
  cell,
  seconds = seconds, items = hp$batches * hp$batch_size, warmup_s = warmup$seconds,
  checksum = builtins$float(np$sum(features[[1]], dtype = np$float64)),
  param_count = param_count, fast_path = as.list(fast_path), data = images$identity("host"),
  environment = rosetta$environment(cell, version, cuda = build$cuda_version, cudnn = build$cudnn_version, tf32 = cuda && tf32),
  notes = if (cuda || !cell$fast) list() else list(paste("fast mode on the CPU: no mixed_bfloat16 (slower than fp32 on CPUs without bf16 units);",
                                                         "no jit_compile=True (on TensorFlow's CPU its convolutions are slower than the default kernels)"))
)
