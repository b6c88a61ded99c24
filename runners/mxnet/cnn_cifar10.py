# cnn-cifar10, MXNet (symbolic): trains a small VGG-style CNN on CIFAR-10 with SGD + momentum from the
# canonical initial weights and measures the training time of all epochs (the clock stops after the
# device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# The network is an mx.sym graph bound by mx.mod.Module, as the 2017 study's MXNet row: MXNet plans
# the whole graph (forward and backward) and its memory once, at bind time, in both modes.
# fast: on the CPU nothing beyond fp32 (no bf16 AMP), as the other runners' CPU cells.

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
hp = cell.params  # train_images, test_images, epochs, batch_size, lr, momentum, repeats
cuda = cell.device == "cuda"
assert not cuda or mx.runtime.Features().is_enabled("CUDA"), "this mxnet build has no CUDA: it would run on the CPU"
ctx = mx.gpu(0) if cuda else mx.cpu()
sync = nd.waitall  # MXNet's engine is asynchronous: wait for every pending operation
fast_path = []  # the symbolic graph is MXNet's fast path already; no bf16 on the CPU

#############################################
#                    Data                   #
#############################################

data = rosetta.load_cifar10(cell)  # float32 NHWC in [0, 1], int64 labels
to_device = lambda x: nd.array(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), ctx)  # NCHW, MXNet's layout for convolutions
x_train, y_train = to_device(data.x_train), nd.array(data.y_train, ctx)  # labels as float32, SoftmaxOutput's label type
x_test, y_test = to_device(data.x_test), data.y_test
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

def conv_relu(x, name, channels):
    return mx.sym.Activation(mx.sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=channels, name=name), act_type="relu")


x = mx.sym.Variable("data")
x = conv_relu(conv_relu(x, "conv1", 50), "conv2", 50)
x = mx.sym.Dropout(mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max"), p=0.25)
x = conv_relu(conv_relu(x, "conv3", 100), "conv4", 100)
x = mx.sym.Dropout(mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max"), p=0.25)
x = mx.sym.Activation(mx.sym.FullyConnected(x, num_hidden=512, name="dense1"), act_type="relu")  # flattens (C, H, W) first
net = mx.sym.FullyConnected(mx.sym.Dropout(x, p=0.5), num_hidden=10, name="dense2")  # the logits
# softmax forward, cross-entropy's gradient (p - onehot) backward, summed over the batch (Module rescales it by 1/batch)
symbol = mx.sym.SoftmaxOutput(net, name="softmax")


def mxnet_layout(name, w):
    """Canonical to MXNet's names and layouts: conv1.kernel is conv1_weight, HWIO -> OIHW, dense
    (in, out) -> (out, in), and the first dense layer's inputs from (H, W, C) to MXNet's (C, H, W) order."""
    if name == "dense1.kernel":
        w = w.reshape(8, 8, 100, 512).transpose(2, 0, 1, 3).reshape(6400, 512)
    w = w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T if w.ndim == 2 else w
    return name.replace(".kernel", "_weight").replace(".bias", "_bias"), nd.array(np.ascontiguousarray(w), ctx)


arg_params = dict(mxnet_layout(name, w) for name, w in rosetta.canonical_weights("cnn").items())
mod = mx.mod.Module(symbol, data_names=["data"], label_names=["softmax_label"], context=ctx)
mod.bind(data_shapes=[("data", (hp.batch_size, 3, 32, 32))], label_shapes=[("softmax_label", (hp.batch_size,))])
shapes = dict(zip(net.list_arguments(), net.infer_shape(data=(1, 3, 32, 32))[0]))  # the graph's own parameters
param_count = sum(int(np.prod(shape)) for name, shape in shapes.items() if name != "data")

#############################################
#               Training step               #
#############################################

def reset(repeat):
    """Canonical weights and a fresh optimizer state; repeat r draws its dropout masks from seed + r."""
    mod.init_params(arg_params=arg_params, force_init=True)
    # MXNet's SGD keeps m = momentum * m - lr * g and adds it: the spec's update with a constant lr
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": hp.lr, "momentum": hp.momentum}, force_init=True)
    mx.random.seed(cell.seed + repeat)


def train_step(idx):
    label = nd.take(y_train, idx)
    mod.forward_backward(mx.io.DataBatch(data=[nd.take(x_train, idx)], label=[label]))
    mod.update()
    return -nd.log(nd.pick(mod.get_outputs()[0], label)).mean()  # the batch's cross-entropy

#############################################
#          Training and evaluation          #
#############################################

def evaluate():
    probabilities = mod.predict(mx.io.NDArrayIter(x_test, batch_size=hp.batch_size))  # is_train=False: dropout off
    return float((probabilities.asnumpy().argmax(1) == y_test).mean())


batches = [rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [nd.array(b, ctx, dtype="int64") for b in batches]
with rosetta.timed(sync) as warmup:
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
        losses.append(nd.concat(*step_losses, dim=0).mean().asscalar())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

environment = rosetta.environment(cell, mx.__version__, tf32=False)
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, data=data.identity("device" if cuda else "host"),
    environment=environment,
    notes=[] if not cell.fast else ["fast mode on the CPU: the same bound symbolic graph as fp32, no bf16 AMP (mx.contrib.amp), as the other runners' CPU cells"],
)
