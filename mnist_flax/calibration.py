"""Probabilities that mean what they say: one temperature per model, and how to measure calibration.

The bundled models were trained with label smoothing, which caps their confidence (docs/accuracy.md).
Dividing the logits by a temperature fitted on held-out digits (``fit_temperature``) keeps every answer
and makes the probabilities match how often the model is right; ``expected_calibration_error`` and
``reliability`` measure it. The fitted temperature is stored in the weights' metadata
(``calibrate_weights``, which ``bundle.make`` runs) and ``Predictor.predict`` applies it.
"""

import dataclasses

import numpy as np

from mnist_flax.checkpoints import load_checkpoint
from mnist_flax.forward import model_logits, softmax

BINS = 15


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits.astype(np.float64) / temperature
    z = z - z.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (a golden-section search
    on log T, where the likelihood is unimodal)."""
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if negative_log_likelihood(logits, labels, np.exp(c)) < negative_log_likelihood(logits, labels, np.exp(d)):
            b = d
        else:
            a = c
    return float(np.exp((a + b) / 2))


@dataclasses.dataclass(frozen=True)
class Reliability:
    """Per confidence bin: the mean confidence, the accuracy and the number of predictions."""

    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray

    @property
    def expected_calibration_error(self) -> float:
        """The gap between confidence and accuracy, averaged over predictions (Guo et al. 2017)."""
        used = self.count > 0
        return float((self.count[used] * np.abs(self.confidence[used] - self.accuracy[used])).sum() / self.count.sum())


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> Reliability:
    """Predictions grouped by confidence (the top probability) into ``bins`` equal-width bins of [0, 1]."""
    confidence = probabilities.max(-1)
    right = probabilities.argmax(-1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        return Reliability(np.bincount(which, confidence, bins) / count, np.bincount(which, right, bins) / count, count)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    return reliability(probabilities, labels, bins).expected_calibration_error


def calibrated(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Raw softmax probabilities recalibrated by ``temperature`` (the same as softmax(logits / T))."""
    with np.errstate(divide="ignore"):
        return softmax(np.log(probabilities) / temperature)


def store_temperature(path, temperature: float) -> None:
    """Writes ``temperature`` into the metadata of the weights at ``path``, which ``Predictor.predict`` reads."""
    load_checkpoint(path).save(temperature=round(temperature, 4))


def calibrate_weights(path, validation) -> float:
    """Fits the temperature of the weights at ``path`` on ``validation`` (a Split: never the test set) and
    stores it in their metadata. Returns it."""
    checkpoint = load_checkpoint(path)
    temperature = fit_temperature(
        model_logits(checkpoint.model, validation.images, checkpoint.recipe.raw_pixels), validation.labels
    )
    store_temperature(path, temperature)
    return temperature
