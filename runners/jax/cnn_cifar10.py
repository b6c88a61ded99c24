# cnn-cifar10, JAX (Flax NNX + Optax): trains a small VGG-style CNN on CIFAR-10 with SGD + momentum
# from the canonical initial weights and measures the training time of all epochs (the clock stops
# after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# Both modes jit-compile the training step (JAX's normal idiom). fp32: float32 matmul and conv
# precision (no TF32). fast: on CUDA, bf16 compute with fp32 parameters, and TF32 where fp32 remains.

import rosetta

try:
    import jax
    import jax.numpy as jnp
    import optax
    from flax import nnx
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
jax.config.update("jax_platforms", "cuda" if cell.device == "cuda" else "cpu")  # no silent fallback to the CPU
cuda = cell.device == "cuda"
sync = lambda: jax.block_until_ready(nnx.state(net))  # the weights depend on every queued step
fast_path = ["bf16 compute", "tf32"] if cuda and cell.fast else []
jax.config.update("jax_default_matmul_precision", "tensorfloat32" if "tf32" in fast_path else "float32")
dtype = jnp.bfloat16 if "bf16 compute" in fast_path else jnp.float32  # parameters stay float32

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
x_train, y_train = jax.device_put(data.x_train), jax.device_put(data.y_train.astype("int32"))
x_test, y_test = jax.device_put(data.x_test), jax.device_put(data.y_test.astype("int32"))
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class CNN(nnx.Module):
    def __init__(self, rngs):
        self.conv1 = nnx.Conv(3, 50, (3, 3), padding=1, dtype=dtype, rngs=rngs)
        self.conv2 = nnx.Conv(50, 50, (3, 3), padding=1, dtype=dtype, rngs=rngs)
        self.conv3 = nnx.Conv(50, 100, (3, 3), padding=1, dtype=dtype, rngs=rngs)
        self.conv4 = nnx.Conv(100, 100, (3, 3), padding=1, dtype=dtype, rngs=rngs)
        self.dense1 = nnx.Linear(8 * 8 * 100, 512, dtype=dtype, rngs=rngs)
        self.dense2 = nnx.Linear(512, 10, dtype=dtype, rngs=rngs)
        self.dropout1 = nnx.Dropout(0.25, rngs=rngs)
        self.dropout2 = nnx.Dropout(0.5, rngs=rngs)

    def __call__(self, x):
        x = nnx.relu(self.conv2(nnx.relu(self.conv1(x))))
        x = self.dropout1(nnx.max_pool(x, (2, 2), strides=(2, 2)))
        x = nnx.relu(self.conv4(nnx.relu(self.conv3(x))))
        x = self.dropout1(nnx.max_pool(x, (2, 2), strides=(2, 2)))
        x = self.dropout2(nnx.relu(self.dense1(x.reshape(len(x), -1))))
        return self.dense2(x)


# Flax's layouts and names are the canonical ones (HWIO kernels, (in, out) dense, NHWC flatten order).
canonical = nnx.from_flat_state({tuple(name.split(".")): jnp.asarray(w)
                                 for name, w in rosetta.canonical_weights("cnn").items()})
net = CNN(nnx.Rngs(params=0, dropout=cell.seed))
param_count = sum(p.size for p in jax.tree.leaves(nnx.state(net, nnx.Param)))
eval_net = nnx.view(net, deterministic=True)  # the same weights, dropout off

#############################################
#               Training step               #
#############################################

optimizer = nnx.Optimizer(net, optax.sgd(hp.lr, momentum=hp.momentum), wrt=nnx.Param)
fresh = nnx.as_pure(nnx.state(optimizer))  # a copy: zero momentum, step 0


def reset(repeat):
    """Canonical weights and fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    nnx.update(net, canonical)
    nnx.update(optimizer, fresh)
    nnx.reseed(net, dropout=cell.seed + repeat)


def optimizer_step(net, optimizer, x, y, idx):  # the data as arguments: a closure would be compiled in as constants
    def loss_fn(net):
        logits = net(x[idx]).astype(jnp.float32)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y[idx]).mean()
    loss, grads = nnx.value_and_grad(loss_fn)(net)
    optimizer.update(net, grads)
    return loss


# Compiled once for all repeats; tree mode (graph=False) keeps the Python work per step small.
jit_step = nnx.jit_partial(optimizer_step, net, optimizer, graph=False)


def train_step(idx):
    return jit_step(x_train, y_train, idx)

#############################################
#          Training and evaluation          #
#############################################

@nnx.jit
def correct(net, x, y):
    return (net(x).argmax(-1) == y).sum()


def evaluate(batch_size=500):
    slices = [slice(i, i + batch_size) for i in range(0, len(x_test), batch_size)]
    return sum(int(correct(eval_net, x_test[s], y_test[s])) for s in slices) / len(x_test)


batches = [jax.device_put(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, e)) for e in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # compilation happens here, untimed
    reset(0)
    for idx in batches[0][:rosetta.WARMUP_STEPS]:
        train_step(idx)

epoch_seconds, loss_per_epoch, accuracies = [], [], []
for repeat in rosetta.repeats(cell):
    reset(repeat)
    seconds, losses = [], []
    for epoch in range(hp.epochs):
        with rosetta.timed(sync) as timer:  # no progress events in here (spec rule 9)
            step_losses = [train_step(idx) for idx in batches[epoch]]
        seconds.append(timer.seconds)
        losses.append(float(jnp.mean(jnp.stack(step_losses))))
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

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
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment,
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (bf16 is slow without bf16 units)"],
)
