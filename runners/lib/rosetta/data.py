"""The benchmarks' data: real CIFAR-10 and IMDB from the cell's data folder when there (and their
sha256 matches), otherwise deterministic learnable stand-ins of the same shapes; and the random
images of the inference benchmark. Every loader says which data it returned (`identity`)."""

from __future__ import annotations

import pickle
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cell import Cell
from .rng import Random
from .sources import SOURCES, Source, sha256_file

IMDB_SHUFFLE_SEED = 113  # keras.datasets.imdb.load_data's default: the npz is sorted by label
START, OOV, INDEX_FROM = 1, 2, 3  # the Keras IMDB convention; 0 pads


@dataclass(frozen=True)
class Dataset:
    """Training data: CIFAR-10 images float32 NHWC in [0, 1] or IMDB token ids int32 (n, seq_len);
    labels int64."""
    name: str
    synthetic: bool
    sha256: str | None
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def identity(self, placement: str) -> dict:
        """The result's `data` field; placement: "host" or "device" (where the runner keeps it)."""
        return {"name": self.name, "synthetic": self.synthetic, "sha256": self.sha256, "placement": placement}


@dataclass(frozen=True)
class Images:
    """Inference input: float32 (batches, batch_size, size, size, 3), NHWC."""
    name: str
    synthetic: bool
    sha256: str | None
    batches: np.ndarray

    def identity(self, placement: str) -> dict:
        return {"name": self.name, "synthetic": self.synthetic, "sha256": self.sha256, "placement": placement}


def _verified(cell: Cell, source: Source) -> Path | None:
    path = Path(cell.data_dir) / source.file
    if not path.is_file():
        return None
    digest = sha256_file(path)
    if digest != source.sha256:
        raise RuntimeError(f"{path} has sha256 {digest}, not {source.sha256}: delete it and run "
                           "`PYTHONPATH=runners/lib python -m rosetta.download` again")
    return path


# ---------------------------------------------------------------------------------------------- CIFAR-10

def read_cifar10(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The canonical python archive: uint8 (N, 32, 32, 3) images and int64 labels, train then test."""
    parts = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            name = Path(member.name).name
            if name.startswith(("data_batch_", "test_batch")):
                batch = pickle.load(tar.extractfile(member), encoding="bytes")
                parts[name] = (batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.asarray(batch[b"labels"], np.int64))
    train = [parts[f"data_batch_{i}"] for i in range(1, 6)]
    return (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]), *parts["test_batch"])


def synthetic_cifar10(n: int, seed: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in: each class is a coarse 4x4 colour pattern (the same in both splits), each image its
    class's pattern under strong pixel noise and a random brightness, quantised to 8 bits."""
    patterns = Random(seed, 10).uniform((10, 4, 4, 3)).repeat(8, axis=1).repeat(8, axis=2)
    rng = Random(seed, 10, split)
    y = rng.integers(n, 10)
    x = np.empty((n, 32, 32, 3), np.float32)
    for start in range(0, n, 4096):
        sl = slice(start, min(n, start + 4096))
        m = sl.stop - sl.start
        noisy = np.float32(0.3) * patterns[y[sl]] + np.float32(0.7) * rng.uniform((m, 32, 32, 3))
        noisy *= rng.uniform((m, 1, 1, 1), 0.6, 1.0)
        x[sl] = np.round(noisy * np.float32(255)) / np.float32(255)
    return x, y


def load_cifar10(cell: Cell) -> Dataset:
    """The first train_images / test_images of CIFAR-10 (float32 NHWC in [0, 1], int64 labels)."""
    p, source = cell.params, SOURCES["cifar10"]
    path = _verified(cell, source)
    if path is None:
        (x_train, y_train), (x_test, y_test) = (synthetic_cifar10(p.train_images, cell.seed, 0),
                                                synthetic_cifar10(p.test_images, cell.seed, 1))
        return Dataset(source.name, True, None, x_train, y_train, x_test, y_test)
    x_train, y_train, x_test, y_test = read_cifar10(path)
    scale = lambda x: x.astype(np.float32) / np.float32(255)
    return Dataset(source.name, False, source.sha256, scale(x_train[: p.train_images]), y_train[: p.train_images],
                   scale(x_test[: p.test_images]), y_test[: p.test_images])


# ---------------------------------------------------------------------------------------------- IMDB

def keras_sequences(reviews: Sequence, vocab_size: int, seq_len: int) -> np.ndarray:
    """Word ranks as stored in imdb.npz (1 = most frequent) to model input, as
    keras.datasets.imdb.load_data(num_words=vocab_size) then pad_sequences(maxlen=seq_len) do:
    start token 1, words offset by 3, ids >= vocab_size become 2 (out of vocabulary), the LAST
    seq_len tokens kept, zeros padded at the FRONT. int32 (n, seq_len)."""
    out = np.zeros((len(reviews), seq_len), np.int32)
    for i, review in enumerate(reviews):
        ids = np.concatenate(([START], np.asarray(review, np.int64) + INDEX_FROM))
        ids[ids >= vocab_size] = OOV
        ids = ids[-seq_len:]
        out[i, seq_len - len(ids):] = ids
    return out


def synthetic_imdb(n: int, seed: int, split: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Stand-in in imdb.npz's form (word ranks, variable lengths): Zipf-like background words over
    40,000 ranks, and about 1 word in 8 drawn from 20 cue words of the review's class."""
    rng = Random(seed, 20, split)
    y = rng.integers(n, 2)
    lengths = 40 + rng.integers(n, 360)
    total = int(lengths.sum())
    zipf = np.cumsum(1.0 / np.arange(1, 40_001))
    background = 1 + rng.choice(total, zipf / zipf[-1])  # P(rank) ~ 1/rank
    cues = 40 + 20 * np.repeat(y, lengths) + rng.integers(total, 20)
    words = np.where(rng.uniform(total) < np.float32(0.125), cues, background)
    return np.split(words, np.cumsum(lengths)[:-1]), y


def load_imdb(cell: Cell) -> Dataset:
    """The first train_reviews / test_reviews of IMDB after Keras' shuffle (seed 113), as token ids
    int32 (n, seq_len) (see keras_sequences) and int64 labels."""
    p, source = cell.params, SOURCES["imdb"]
    path = _verified(cell, source)
    if path is None:
        (train, y_train), (test, y_test) = synthetic_imdb(p.train_reviews, cell.seed, 0), synthetic_imdb(p.test_reviews, cell.seed, 1)
        synthetic, sha256 = True, None
    else:
        with np.load(path, allow_pickle=True) as f:  # sha256-checked above
            x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
        rng = np.random.RandomState(IMDB_SHUFFLE_SEED)
        train_order, test_order = rng.permutation(len(x_train)), rng.permutation(len(x_test))
        train, y_train = x_train[train_order][: p.train_reviews], y_train[train_order][: p.train_reviews]
        test, y_test = x_test[test_order][: p.test_reviews], y_test[test_order][: p.test_reviews]
        synthetic, sha256 = False, source.sha256
    return Dataset(source.name, synthetic, sha256, keras_sequences(train, p.vocab_size, p.seq_len), np.asarray(y_train, np.int64),
                   keras_sequences(test, p.vocab_size, p.seq_len), np.asarray(y_test, np.int64))


# ---------------------------------------------------------------------------------------------- images

def random_images(cell: Cell) -> Images:
    """The inference input: uniform [0, 1) float32, (batches, batch_size, size, size, 3), from the seed."""
    p = cell.params
    x = Random(cell.seed, 30).uniform((p.batches, p.batch_size, p.image_size, p.image_size, 3))
    return Images(f"uniform random images (seed {cell.seed})", True, None, x)
