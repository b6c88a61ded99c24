# gru-imdb, PaddlePaddle: trains an embedding, one GRU layer and a dense classifier on IMDB reviews
# with Adam from the canonical initial weights and measures the training time of all epochs (the
# clock stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: the dynamic graph (eager, Paddle's default). fast: paddle.jit.to_static around the network
# (forward and backward run as one static program; the loss and the optimizer stay eager).
# paddle.nn.GRU has cuDNN's gate convention and runs as one fused rnn operator (cuDNN's on GPUs).

import os

import numpy as np

import rosetta

os.environ.setdefault("FLAGS_paddle_num_threads", str(len(os.sched_getaffinity(0))))  # Paddle's default is 1 thread
try:
    import paddle
    import paddle.nn.functional as F
    from paddle import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
cuda = cell.device == "cuda"
assert not cuda or paddle.is_compiled_with_cuda(), "this paddlepaddle is the CPU build: it would run on the CPU"
paddle.set_device("gpu" if cuda else "cpu")
sync = paddle.device.synchronize if cuda else rosetta.no_sync  # on the CPU an operator returns when it is done
fast_path = ["paddle.jit.to_static"] if cell.fast else []  # fp32: the dynamic graph

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = paddle.to_tensor(data.x_train), paddle.to_tensor(data.y_train)
x_test, y_test = paddle.to_tensor(data.x_test), paddle.to_tensor(data.y_test)
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRUClassifier(nn.Layer):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(hp.vocab_size, hp.embed_dim)
        self.gru = nn.GRU(hp.embed_dim, hp.hidden)  # batch first (time_major=False) by default
        self.dense = nn.Linear(hp.hidden, 2)

    def forward(self, tokens):
        _, h = self.gru(self.embedding(tokens))  # h: the state after the last step, (1, batch, hidden)
        return self.dense(h[0])


def paddle_layout(w):
    """Canonical layout to Paddle's: nn.GRU concatenates the gates in the order r, z, n (PyTorch's),
    with (out, in) kernels; dense kernels are (in, out), the canonical layout."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    state = {
        "embedding.weight": w["embedding.table"],
        "gru.weight_ih_l0": gates("input_kernel").T, "gru.weight_hh_l0": gates("recurrent_kernel").T,
        "gru.bias_ih_l0": gates("input_bias"), "gru.bias_hh_l0": gates("recurrent_bias"),
        "dense.weight": w["dense.kernel"], "dense.bias": w["dense.bias"],
    }
    return {name: np.ascontiguousarray(v) for name, v in state.items()}


weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = paddle_layout(weights)
net = GRUClassifier()
param_count = sum(p.numel().item() for p in net.parameters())
if cell.fast:  # the same layer, its forward traced into a static program (PIR) on its first call; the default
    net = paddle.jit.to_static(net, full_graph=True)  # backend, CINN, where the wheel has it, else Paddle's PHI kernels

#############################################
#               Training step               #
#############################################

def reset(repeat):
    """Canonical weights and a fresh optimizer (the GRU has no dropout: repeats differ only in timing)."""
    global optimizer
    for name, parameter in net.named_parameters():  # the state dict names nn.GRU's weights twice (its cell's too)
        parameter.set_value(canonical[name])
    optimizer = paddle.optimizer.Adam(hp.lr, hp.beta1, hp.beta2, hp.epsilon, parameters=net.parameters())


def train_step(idx):
    loss = F.cross_entropy(net(x_train[idx]), y_train[idx])  # the batch's mean
    loss.backward()
    optimizer.step()
    optimizer.clear_grad()
    return loss.detach()

#############################################
#          Training and evaluation          #
#############################################

@paddle.no_grad()
def evaluate(batch_size=500):
    net.eval()
    correct = paddle.zeros([], dtype="int64")
    for i in range(0, len(x_test), batch_size):
        correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum()
    net.train()
    return correct.item() / len(x_test)


batches = [paddle.to_tensor(rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch)) for epoch in range(hp.epochs)]
with rosetta.timed(sync) as warmup:  # to_static traces and builds its program here, untimed
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
        losses.append(paddle.stack(step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

notes = []
if cell.fast:  # what to_static ran, read back: its static programs and their backend
    programs, backend = len(net.forward.program_cache), net.forward._kwargs["backend"].name
    assert programs, "to_static traced no static program: the network ran eagerly"
    notes.append(f"paddle.jit.to_static: {programs} static program(s) (training and evaluation), backend {backend} "
                 f"(CINN needs a CUDA build with CINN; this one: {paddle.is_compiled_with_cinn()})")
threads = paddle.get_flags("FLAGS_paddle_num_threads")["FLAGS_paddle_num_threads"]
notes.append(f"{threads} CPU threads (FLAGS_paddle_num_threads, set to the cores this process may use; Paddle's default is 1)")
notes.append("paddle.nn.GRU runs as one rnn operator, cuDNN's on GPUs; on the CPU Paddle's kernel loops over the steps: fused_rnn false")
environment = rosetta.environment(cell, paddle.__version__, cuda=paddle.version.cuda(), cudnn=paddle.version.cudnn(), tf32=False)
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=False, data=data.identity("device" if cuda else "host"),
    environment=environment, notes=notes,
)
