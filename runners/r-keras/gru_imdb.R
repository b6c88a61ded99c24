# gru-imdb, R - Keras (TensorFlow): trains an embedding, one GRU layer and a dense classifier on IMDB
# sentiment with Adam from the canonical initial weights and measures the training time of all epochs
# (the clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# R drives Keras 3 on TensorFlow through reticulate, as R's keras3 package does (host.py embeds the
# environment's Python): the same calls as runners/keras/gru_imdb.py, made from R, each step from R.
# The training set lives on the device as TensorFlow tensors; each step gathers its batch there and runs
# Keras's own compiled training step (model$train_function, the one fit calls per batch).
# fp32: compile()'s defaults (a tf.function; XLA only with a GPU), TF32 off.
# fast: mixed_bfloat16 and TF32 on CUDA. The cuDNN GRU is checked on the trained layer.

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
hp <- cell$params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon, vocab_size, seq_len, embed_dim, hidden, repeats
backend <- keras$backend$backend()  # "tensorflow" (KERAS_BACKEND): the study's R row is Keras on TensorFlow
cuda <- cell$device == "cuda"
fast_path <- if (cell$fast && cuda) c("mixed_bfloat16", "tf32") else character()  # no jit_compile: see the notes
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

data <- rosetta$load_imdb(cell)  # int32 token ids (n, seq_len), padded at the front; int64 labels
with(keras$device(if (cuda) "gpu:0" else "cpu:0"), {  # tensors on the device before any clock (spec rule 8)
  x_train <- ops$convert_to_tensor(data$x_train)
  y_train <- ops$convert_to_tensor(data$y_train)
})
steps <- py_len(data$x_train) %/% hp$batch_size

#############################################
#                  Network                  #
#############################################

GRUClassifier <- function() {
  keras$Sequential(list(
    keras$Input(list(hp$seq_len), dtype = "int32"),
    layers$Embedding(hp$vocab_size, hp$embed_dim, name = "embedding"),
    layers$GRU(hp$hidden, reset_after = TRUE, name = "gru"),  # the cuDNN formulation; no mask: padding is read
    layers$Dense(2L, name = "dense")
  ))
}

keras_gru <- function(w) {
  # Canonical per-gate weights to Keras's: gates in Keras's order z, r, h (h: the canonical n), biases stacked.
  gates <- function(kind) np$concatenate(lapply(c("z", "r", "n"), function(gate) w[[sprintf("gru.%s.%s", kind, gate)]]), axis = -1L)
  list(gates("input_kernel"), gates("recurrent_kernel"), np$stack(list(gates("input_bias"), gates("recurrent_bias"))))
}

canonical <- py_to_r(rosetta$canonical_weights("gru", vocab_size = hp$vocab_size, embed_dim = hp$embed_dim, hidden = hp$hidden))
model <- GRUClassifier()
model$get_layer("embedding")$set_weights(list(canonical[["embedding.table"]]))
model$get_layer("gru")$set_weights(keras_gru(canonical))
model$get_layer("dense")$set_weights(list(canonical[["dense.kernel"]], canonical[["dense.bias"]]))
param_count <- model$count_params()
model$compile(optimizer = keras$optimizers$Adam(hp$lr, beta_1 = hp$beta1, beta_2 = hp$beta2, epsilon = hp$epsilon),
              loss = keras$losses$SparseCategoricalCrossentropy(from_logits = TRUE))  # jit_compile="auto": see the notes

#############################################
#               Training step               #
#############################################

model$optimizer$build(model$trainable_variables)
first <- list(0L)  # a batch of one: the first review
invisible(model$compute_loss(y = ops$take(y_train, first, 0L), y_pred = model(ops$take(x_train, first, 0L))))  # builds Keras's loss outside the compiled step, as fit does
model$make_train_function()  # Keras's compiled step (forward, loss, backward, Adam, the loss's running mean)
variables <- c(model$trainable_variables, model$non_trainable_variables, model$optimizer$variables, model$metrics_variables)
initial <- lapply(variables, function(v) v$numpy())  # canonical weights, zero moments, step and loss mean

reset <- function(r) {
  # Canonical weights, fresh optimizer state and loss mean (the GRU has no dropout: repeats differ only in timing).
  for (i in seq_along(variables)) variables[[i]]$assign(initial[[i]])
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

fused_rnn <- function() {
  # Verified on the layer that trained: TensorFlow's GRU leaves cuDNN silently, unless told to use it.
  if (!cuda) return(FALSE)
  gru <- model$get_layer("gru")
  x <- model$get_layer("embedding")(ops$take(data$x_test, seq_len(hp$batch_size) - 1L, 0L))  # the test set's first batch
  gru$use_cudnn <- TRUE  # the layer now raises where it would fall back
  tryCatch(!is.null(gru(x, training = TRUE)), error = function(error) FALSE)
}

tf32 <- tf$config$experimental$tensor_float_32_execution_enabled()  # read back, not declared
notes <- if (!cell$fast) list() else list(paste0(if (cuda) "" else "fast mode on the CPU: the same as fp32 (mixed_bfloat16 is slower there); ",
                                                 "no jit_compile=True: XLA is the default on TensorFlow with a GPU, slower on its CPU"))
notes <- c(notes, "Keras's Adam adds epsilon to sqrt(v) before the bias correction (the spec after it): more weight where sqrt(v) is tiny",
           "Keras's Adam on TensorFlow squares the embedding's sparse gradient per token occurrence, not per row")
rosetta$report(
  cell,
  seconds = lapply(runs, function(run) sum(unlist(run$seconds))), items = steps * hp$batch_size * hp$epochs, warmup_s = warmup$seconds,
  epoch_seconds = lapply(runs, `[[`, "seconds"), loss_per_epoch = lapply(runs, `[[`, "losses"), accuracies = lapply(runs, `[[`, "accuracy"),
  param_count = param_count, fast_path = as.list(fast_path), fused_rnn = fused_rnn(), data = data$identity(if (grepl("CPU", x_train$device)) "host" else "device"),
  environment = rosetta$environment(cell, version, cuda = build$cuda_version, cudnn = build$cudnn_version, tf32 = cuda && tf32),
  notes = notes
)
