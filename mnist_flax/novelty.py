""""That does not look like a digit": a distance in a network's own feature space.

The answer of a classifier is always one of ten digits, and its probabilities say little about a
scribble (a face reads as a confident 0). Its last hidden layer says more: the training digits of each
class gather around a centre there, and letters, shapes and rows of digits fall far from all ten. The
score is the Mahalanobis distance to the nearest class centre, with one covariance shared by the classes
(Lee et al., 2018); the threshold flags ``FALSE_ALARMS`` of browser-like drawings of validation digits.
``scripts/not_a_digit.py`` fits both, stores them in the weights (``DigitDetector.arrays``) and compares
this score with others (top probability, energy, agreement between models) on non-digits (``non_digits``).
"""
import dataclasses

import numpy as np

FALSE_ALARMS = 0.005  # the share of validation drawings of digits the threshold flags
RIDGE = 1e-3  # added to the covariance's diagonal: dead units would make it singular


@dataclasses.dataclass(frozen=True)
class DigitDetector:
    """Class centres and shared precision of a model's last hidden layer; ``threshold`` on the distance."""

    means: np.ndarray  # (10, F)
    precision: np.ndarray  # (F, F)
    threshold: float = np.inf

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray) -> "DigitDetector":
        """Centres and shared covariance of ``features`` (N, F) of training digits with their ``labels``."""
        features = features.astype(np.float64)
        means = np.stack([features[labels == c].mean(0) for c in range(10)])
        centred = features - means[labels]
        covariance = centred.T @ centred / len(features) + RIDGE * np.eye(features.shape[1])
        return cls(means.astype(np.float32), np.linalg.inv(covariance).astype(np.float32))

    def distance(self, features: np.ndarray) -> np.ndarray:
        """(N,) squared Mahalanobis distance of each row of ``features`` to the nearest class centre."""
        d = features[:, None, :] - self.means[None]  # (N, 10, F)
        return np.einsum("ncf,fg,ncg->nc", d, self.precision, d).min(1)

    def with_threshold(self, digit_distances: np.ndarray, false_alarms: float = FALSE_ALARMS) -> "DigitDetector":
        """This detector, flagging a ``false_alarms`` share of ``digit_distances`` (those of real digits)."""
        return dataclasses.replace(self, threshold=float(np.quantile(digit_distances, 1 - false_alarms)))

    def arrays(self) -> dict[str, np.ndarray]:
        """What goes into the weights file (``Checkpoint.save(extras=...)``)."""
        return {"digits.means": self.means, "digits.precision": self.precision,
                "digits.threshold": np.float32(self.threshold)}

    @classmethod
    def from_arrays(cls, arrays: dict) -> "DigitDetector | None":
        if "digits.means" not in arrays:
            return None
        return cls(arrays["digits.means"], arrays["digits.precision"], float(arrays["digits.threshold"]))
