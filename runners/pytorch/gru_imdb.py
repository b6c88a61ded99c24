# gru-imdb, PyTorch: trains an embedding, one GRU layer and a dense classifier on IMDB reviews with
# Adam from the canonical initial weights and measures the training time of all epochs (the clock
# stops after the device has finished), then the test accuracy (untimed). Spec: shared/benchmarks.md.
# fp32: eager, TF32 off. fast (CUDA): bf16 autocast, TF32 and the fused Adam; nn.GRU runs on cuDNN
# in both modes (checked with the profiler), and torch.compile does not trace it, so it is not used.

import numpy as np

import rosetta

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except Exception as error:
    rosetta.unavailable(error)

#############################################
#              Hyper-parameters             #
#############################################

cell = rosetta.read_cell()
hp = cell.params  # train_reviews, test_reviews, epochs, batch_size, lr, beta1, beta2, epsilon,
                  # vocab_size, seq_len, embed_dim, hidden, repeats
device = torch.device(cell.device)
cuda = device.type == "cuda"
sync = torch.cuda.synchronize if cuda else rosetta.no_sync
fast_path = ["bf16 autocast", "tf32", "fused Adam"] if cell.fast and cuda else []  # fp32: eager, TF32 off
torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = "tf32" in fast_path
autocast = lambda: torch.autocast(device.type, torch.bfloat16, enabled="bf16 autocast" in fast_path)

#############################################
#                    Data                   #
#############################################

data = rosetta.load_imdb(cell)  # token ids int32 (n, seq_len), zero-padded at the front; int64 labels
x_train, y_train = torch.from_numpy(data.x_train).to(device), torch.from_numpy(data.y_train).to(device)
x_test, y_test = torch.from_numpy(data.x_test).to(device), torch.from_numpy(data.y_test).to(device)
steps = len(x_train) // hp.batch_size

#############################################
#                  Network                  #
#############################################

class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(hp.vocab_size, hp.embed_dim)
        self.gru = nn.GRU(hp.embed_dim, hp.hidden, batch_first=True)
        self.dense = nn.Linear(hp.hidden, 2)

    def forward(self, tokens):
        _, h = self.gru(self.embedding(tokens))  # h: the state after the last step, (1, batch, hidden)
        return self.dense(h[0])


def torch_layout(w):
    """Canonical layout to PyTorch's: nn.GRU concatenates the gates in the order r, z, n, with
    (out, in) kernels; dense kernels are (out, in)."""
    gates = lambda kind: np.concatenate([w[f"gru.{kind}.{g}"] for g in "rzn"], axis=-1)
    state = {
        "embedding.weight": w["embedding.table"],
        "gru.weight_ih_l0": gates("input_kernel").T, "gru.weight_hh_l0": gates("recurrent_kernel").T,
        "gru.bias_ih_l0": gates("input_bias"), "gru.bias_hh_l0": gates("recurrent_bias"),
        "dense.weight": w["dense.kernel"].T, "dense.bias": w["dense.bias"],
    }
    return {name: torch.from_numpy(np.ascontiguousarray(v)) for name, v in state.items()}


weights = rosetta.canonical_weights("gru", vocab_size=hp.vocab_size, embed_dim=hp.embed_dim, hidden=hp.hidden)
canonical = torch_layout(weights)
net = GRUClassifier().to(device)
param_count = sum(p.numel() for p in net.parameters())

#############################################
#               Training step               #
#############################################

fused = True if "fused Adam" in fast_path else None  # None: PyTorch's default
optimizer = torch.optim.Adam(net.parameters(), lr=hp.lr, betas=(hp.beta1, hp.beta2), eps=hp.epsilon, fused=fused)


def reset(repeat):
    """Canonical weights and fresh optimizer state (the GRU has no dropout: repeats differ only in timing)."""
    net.load_state_dict(canonical)
    optimizer.state.clear()


def train_step(idx):
    with autocast():
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()

#############################################
#          Training and evaluation          #
#############################################

@torch.no_grad()
def evaluate(batch_size=500):
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for i in range(0, len(x_test), batch_size):
        with autocast():
            correct += (net(x_test[i:i + batch_size]).argmax(1) == y_test[i:i + batch_size]).sum()
    net.train()
    return correct.item() / len(x_test)


batches = [rosetta.epoch_batches(len(x_train), hp.batch_size, cell.seed, epoch) for epoch in range(hp.epochs)]
batches = [torch.from_numpy(b).to(device) for b in batches]
with rosetta.timed(sync) as warmup:  # cuDNN plans and allocator warm-up happen here, untimed
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
        losses.append(torch.stack(step_losses).mean().item())
        rosetta.progress("train", repeat=repeat, repeats=hp.repeats, epoch=epoch + 1, epochs=hp.epochs, loss=losses[-1])
    epoch_seconds.append(seconds)
    loss_per_epoch.append(losses)
    accuracies.append(evaluate())
    rosetta.progress("eval", repeat=repeat, repeats=hp.repeats)

#############################################
#              Timing and result            #
#############################################

with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile, autocast():
    net(x_train[batches[0][0]])  # which kernels does the GRU dispatch to?
fused_rnn = any(event.key == "aten::_cudnn_rnn" for event in profile.key_averages())
gpu = torch.cuda.get_device_properties(device) if cuda else None
environment = rosetta.environment(
    cell, torch.__version__, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
    gpu_name=gpu and gpu.name, gpu_memory_bytes=gpu and gpu.total_memory,
    tf32=torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32)
rosetta.report(
    cell,
    seconds=[sum(s) for s in epoch_seconds], items=steps * hp.batch_size * hp.epochs, warmup_s=warmup.seconds,
    epoch_seconds=epoch_seconds, loss_per_epoch=loss_per_epoch, accuracies=accuracies,
    param_count=param_count, fast_path=fast_path, fused_rnn=fused_rnn,
    data=data.identity("device" if cuda else "host"), environment=environment,
    notes=[] if cuda or not cell.fast else ["fast mode on the CPU: the same as fp32 (no bf16 units to use)"],
)
