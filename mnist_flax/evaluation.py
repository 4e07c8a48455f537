"""A model's results on a labelled split: loss, accuracy, confusion matrix, its mistakes."""

import dataclasses

import numpy as np
from flax import nnx

from mnist_flax.data import Split
from mnist_flax.forward import model_logits


@dataclasses.dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    per_class_accuracy: np.ndarray  # (10,)
    confusion: np.ndarray  # (10, 10), rows = true label, columns = predicted
    misclassified: np.ndarray  # indices into the evaluated split
    probabilities: np.ndarray  # (N, 10)


def evaluate(model: nnx.Module, split: Split, raw_pixels: bool = False) -> Evaluation:
    z = model_logits(model, split.images, raw_pixels)
    log_probs = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    labels = np.asarray(split.labels)
    predicted = z.argmax(1)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    with np.errstate(invalid="ignore"):
        per_class = np.diag(confusion) / confusion.sum(1)
    return Evaluation(
        loss=float(-log_probs[np.arange(len(labels)), labels].mean()),
        accuracy=float((predicted == labels).mean()),
        per_class_accuracy=per_class,
        confusion=confusion,
        misclassified=np.flatnonzero(predicted != labels),
        probabilities=np.exp(log_probs),
    )
