# cnn-cifar10, R - Keras (TensorFlow): trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from
# the canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# R drives Keras 3 on TensorFlow through reticulate, as R's keras3 package does (host.py embeds the
# environment's Python): the same calls as runners/keras/cnn_cifar10.py, made from R, each step from R.
# The training set lives on the device as TensorFlow tensors; each step gathers its batch there and runs
# Keras's own compiled training step (model$train_function, the one fit calls per batch).
# fp32: compile()'s defaults (a tf.function; XLA only with a GPU), TF32 off. fast on CUDA:
# mixed_bfloat16 and TF32. fast on the CPU: the same as fp32 (each of these is slower there).

library(reticulate)
rosetta <- import("rosetta", convert = FALSE)  # first: claims stdout; its arrays stay NumPy arrays (0-based indices)

keras <- tryCatch(import("keras"), error = function(error) {
  message("rosetta: the framework cannot be imported: ", py_last_error()$type, ": ", trimws(py_last_error()$value))
  quit(status = 3)  # as rosetta.unavailable: the build reports the cell unavailable
})
layers <- keras$layers
ops <- keras$ops
tf <- import("tensorflow")
np <- import("numpy", convert = FALSE)
builtins <- import_builtins()

#############################################
#              Hyper-parameters             #
#############################################

cell <- py_to_r(rosetta$read_cell(commandArgs(trailingOnly = TRUE)))  # its fields read as R values
hp <- cell$params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
backend <- keras$backend$backend()  # "tensorflow" (KERAS_BACKEND): the study's R row is Keras on TensorFlow
cuda <- cell$device == "cuda"
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

data <- rosetta$load_cifar10(cell)  # float32 NHWC in [0, 1] (Keras's layout), int64 labels
with(keras$device(if (cuda) "gpu:0" else "cpu:0"), {  # tensors on the device before any clock (spec rule 8)
  x_train <- ops$convert_to_tensor(data$x_train)
  y_train <- ops$convert_to_tensor(data$y_train)
})
steps <- py_len(data$x_train) %/% hp$batch_size

#############################################
#                  Network                  #
#############################################

CNN <- function() {
  keras$Sequential(list(
    keras$Input(list(32L, 32L, 3L)),
    layers$Conv2D(50L, 3L, padding = "same", activation = "relu", name = "conv1"),
    layers$Conv2D(50L, 3L, padding = "same", activation = "relu", name = "conv2"),
    layers$MaxPooling2D(2L),
    layers$Dropout(0.25),
    layers$Conv2D(100L, 3L, padding = "same", activation = "relu", name = "conv3"),
    layers$Conv2D(100L, 3L, padding = "same", activation = "relu", name = "conv4"),
    layers$MaxPooling2D(2L),
    layers$Dropout(0.25),
    layers$Flatten(),
    layers$Dense(512L, activation = "relu", name = "dense1"),
    layers$Dropout(0.5),
    layers$Dense(10L, name = "dense2")
  ))
}

# The canonical layout is Keras's own (HWIO kernels, (in, out) dense, NHWC flatten): no conversion.
canonical <- py_to_r(rosetta$canonical_weights("cnn"))  # an R list of NumPy arrays, by canonical name
model <- CNN()
for (layer in model$layers) {
  if (length(layer$weights) > 0) {
    layer$set_weights(list(canonical[[paste0(layer$name, ".kernel")]], canonical[[paste0(layer$name, ".bias")]]))
  }
}
param_count <- model$count_params()
model$compile(optimizer = keras$optimizers$SGD(hp$lr, momentum = hp$momentum, nesterov = FALSE),
              loss = keras$losses$SparseCategoricalCrossentropy(from_logits = TRUE))

#############################################
#               Training step               #
#############################################

model$optimizer$build(model$trainable_variables)
first <- list(0L)  # a batch of one: the first image
invisible(model$compute_loss(y = ops$take(y_train, first, 0L), y_pred = model(ops$take(x_train, first, 0L))))  # builds Keras's loss outside the compiled step, as fit does
model$make_train_function()  # Keras's compiled step (forward, loss, backward, SGD, the loss's running mean)
variables <- c(model$trainable_variables, model$non_trainable_variables, model$optimizer$variables, model$metrics_variables)
initial <- lapply(variables, function(v) v$numpy())  # canonical weights, zero momentum and loss mean
dropouts <- Filter(function(layer) builtins$isinstance(layer, layers$Dropout), model$layers)

reset <- function(r) {
  # Canonical weights, fresh optimizer state and loss mean; repeat r draws its dropout masks from seed + r.
  for (i in seq_along(variables)) variables[[i]]$assign(initial[[i]])
  for (i in seq_along(dropouts)) {  # from a [seed, step] pair per layer, one seed each
    dropouts[[i]]$seed_generator$state$assign(list(length(dropouts) * (cell$seed + r) + i - 1L, 0L))
  }
}

train_step <- function(idx) {
  # One step on the batch idx (a tensor of 0-based indices), gathered on the device; returns Keras's
  # running mean of the loss (fit's).
  batch <- list(tuple(ops$take(x_train, idx, 0L), ops$take(y_train, idx, 0L)))
  model$train_function(batch)$loss
}

restart_loss_mean <- function() model$reset_metrics()  # as fit at each epoch's start

trained_model <- function() model  # TensorFlow's step trains the model's own variables

#############################################
#          Training and evaluation          #
#############################################

evaluate <- function(batch_size = 500L) {  # untimed: predict batches the test set from the host
  logits <- trained_model()$predict(data$x_test, batch_size = batch_size, verbose = 0L)
  np$mean(np$equal(np$argmax(logits, 1L), data$y_test))
}

with(keras$device(if (cuda) "gpu:0" else "cpu:0"), {  # one device tensor per step, made before the clock
  batches <- lapply(seq_len(hp$epochs) - 1L, function(epoch) {
    iterate(rosetta$epoch_batches(py_len(data$x_train), hp$batch_size, cell$seed, epoch), ops$convert_to_tensor, simplify = FALSE)
  })
})
with(rosetta$timed(sync) %as% warmup, {  # tracing and compilation happen here, untimed
  reset(0L)
  for (idx in head(batches[[1]], py_to_r(rosetta$WARMUP_STEPS))) train_step(idx)
})

runs <- iterate(py_to_r(rosetta$repeats(cell)), function(r) {  # repeat r: 1, 2, ...
  reset(r)
  seconds <- losses <- list()
  for (epoch in seq_len(hp$epochs)) {
    restart_loss_mean()
    with(rosetta$timed(sync) %as% timer, {  # no progress events in here (spec rule 9)
      step_losses <- lapply(batches[[epoch]], train_step)
    })
    seconds[[epoch]] <- py_to_r(timer$seconds)
    losses[[epoch]] <- builtins$float(step_losses[[steps]])  # the running mean after the epoch's last step: the epoch's mean
    rosetta$progress("train", `repeat` = r, repeats = hp$repeats, epoch = epoch, epochs = hp$epochs, loss = losses[[epoch]])
  }
  accuracy <- evaluate()
  rosetta$progress("eval", `repeat` = r, repeats = hp$repeats)
  list(seconds = seconds, losses = losses, accuracy = accuracy)
}, simplify = FALSE)

#############################################
#              Timing and result            #
#############################################

tf32 <- tf$config$experimental$tensor_float_32_execution_enabled()  # read back, not declared
notes <- if (cuda || !cell$fast) list() else list(paste(
  "fast mode on the CPU: the same as fp32 (mixed_bfloat16 is slower without bf16 units;",
  "jit_compile=True is slower too: XLA's CPU convolutions on TensorFlow)"))
rosetta$report(
  cell,
  seconds = lapply(runs, function(run) sum(unlist(run$seconds))), items = steps * hp$batch_size * hp$epochs, warmup_s = warmup$seconds,
  epoch_seconds = lapply(runs, `[[`, "seconds"), loss_per_epoch = lapply(runs, `[[`, "losses"), accuracies = lapply(runs, `[[`, "accuracy"),
  param_count = param_count, fast_path = as.list(fast_path), data = data$identity(if (grepl("CPU", x_train$device)) "host" else "device"),
  environment = rosetta$environment(cell, version, cuda = build$cuda_version, cudnn = build$cudnn_version, tf32 = cuda && tf32),
  notes = notes
)
