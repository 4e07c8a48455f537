""" "That does not look like a digit": a judge trained to tell digits from everything else.

A classifier's answer is always one of ten digits. Neither its probabilities nor distances in its own
features separate letters, shapes, faces and rows of digits from the digits people send well enough
(docs/reader.md has the figures). The judge is a network of its own with the cnn's layers, trained on two
classes: digits (MNIST's training digits, and drawings, photos, crops and low-resolution copies of them
as the reader reads them) and non-digits (``inputs.non_digits``: letters, symbols, shapes, faces, scribbles,
hatching, spirals, two and three digits in a row), with the training step's augmentation. Its threshold
on the probability of "not a digit" flags ``FALSE_ALARMS`` of validation digits read the same ways.
``bundle.make`` trains it into ``weights/judge.safetensors`` with the rest of the bundled weights.
"""

import dataclasses
from pathlib import Path

import numpy as np

from mnist_flax import reader
from mnist_flax.checkpoints import load_checkpoint, save_checkpoint
from mnist_flax.data import Mnist, Split
from mnist_flax.forward import model_logits, softmax
from mnist_flax.inputs import drawn_digits, low_resolution, non_digits, synthetic_photos, tight_crop
from mnist_flax.prediction import WEIGHTS_DIR, Predictor
from mnist_flax.recipe import Recipe
from mnist_flax.registry import get_model_entry
from mnist_flax.training import train

JUDGE_PATH = WEIGHTS_DIR / "judge.safetensors"
ARCHITECTURE = "cnn"
DIGIT, NOT_A_DIGIT = 0, 1  # the judge's two classes
FALSE_ALARMS = 0.002  # the share of validation digits the threshold flags
RECIPE = Recipe(
    optimizer="adamw",
    learning_rate=1e-3,
    batch_size=128,
    epochs=8,
    schedule="cosine",
    weight_decay=1e-4,
    augment=True,
    split="all",
)


@dataclasses.dataclass(frozen=True)
class Judge:
    """The judge network and its ``threshold`` on the probability of "not a digit"."""

    network: Predictor
    threshold: float

    def score(self, images) -> np.ndarray:
        """(N,) the probability that each (28, 28) image is not a digit."""
        return self.network.predict(images, calibrated=False)[:, NOT_A_DIGIT]

    def is_digit(self, images) -> np.ndarray:
        """(N,) bool: does each image look like a digit?"""
        return self.score(images) <= self.threshold


def load_judge(path: str | Path = JUDGE_PATH) -> Judge | None:
    """The bundled judge, or None where there is none (the app then shows no verdict)."""
    if not Path(path).is_file():
        return None
    checkpoint = load_checkpoint(path)
    return Judge(Predictor(checkpoint), float(checkpoint.metadata["threshold"]))


def read_views(images: np.ndarray, seed: int) -> np.ndarray:
    """(N, 28, 28) the digits ``images`` as the reader sees them arrive: a quarter each drawn in a browser,
    photographed on paper, cropped tight and enlarged, reduced to a low resolution and enlarged."""
    quarters = np.array_split(images, 4)
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [
            drawn_digits(quarters[0], seed),
            np.stack([reader.read_digit(p) for p in synthetic_photos(quarters[1], seed)]),
            np.stack([reader.read_digit(tight_crop(x, rng)) for x in quarters[2]]),
            np.stack([reader.read_digit(low_resolution(x, rng)) for x in quarters[3]]),
        ]
    )


def training_set(data: Mnist, views: int, n_non_digits: int, seed: int = 0) -> Split:
    """Digits (MNIST's training split without the validation digits, and ``views`` of them as read) and
    ``n_non_digits`` non-digits, labelled ``DIGIT`` and ``NOT_A_DIGIT``."""
    digits = data.train_without_validation.images
    images = np.concatenate([digits, read_views(digits[:views], seed), non_digits(digits, n_non_digits, seed)])
    labels = np.full(len(images), DIGIT, np.int32)
    labels[-n_non_digits:] = NOT_A_DIGIT
    return Split(images, labels)


def train_judge(
    data: Mnist, views: int = 8000, n_non_digits: int = 30000, seed: int = 0, path: str | Path = JUDGE_PATH
) -> Judge:
    """Trains the judge, sets its threshold on validation digits (as they are and as read) and saves it."""
    network = get_model_entry(ARCHITECTURE).build(seed)
    for _ in train(network, RECIPE, training_set(data, views, n_non_digits, seed), seed=seed, log_every=10**9):
        pass
    validation = data.validation.images
    digits = np.concatenate([validation, read_views(validation[: views // 2], seed + 1)])
    scores = softmax(model_logits(network, digits))[:, NOT_A_DIGIT]
    save_checkpoint(
        path, network, ARCHITECTURE, RECIPE, role="judge", threshold=float(np.quantile(scores, 1 - FALSE_ALARMS))
    )
    return load_judge(path)
