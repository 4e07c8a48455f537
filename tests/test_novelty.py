""""That does not look like a digit": the detector's maths, where it is stored, and the bundled one on
drawings of digits and on non-digits (figures: README, "Not a digit", from scripts/not_a_digit.py)."""
import shutil

import numpy as np
import pytest

from mnist_flax import load_model, non_digits
from mnist_flax.novelty import DigitDetector
from mnist_flax.prediction import bundled_weights_path
from mnist_flax.sketch import drawn_digits


def test_distance_is_small_near_a_class_centre_and_large_far_from_all():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 200)
    centres = rng.normal(0, 10, (10, 5))
    detector = DigitDetector.fit(centres[labels] + rng.normal(0, 1, (2000, 5)), labels)
    np.testing.assert_allclose(detector.means, centres, atol=0.3)
    near = detector.distance(centres + 0.5)
    far = detector.distance(centres.mean(0, keepdims=True) + 100)
    assert near.max() < 5 < 1000 < far.min()  # squared distances in units of the spread (5 features)
    detector = detector.with_threshold(detector.distance(centres[labels] + rng.normal(0, 1, (2000, 5))), 0.05)
    assert detector.threshold == pytest.approx(11.07, rel=0.15)  # the 95% quantile of chi-square with 5 dof


def test_the_detector_travels_in_the_weights_file(tmp_path):
    path = tmp_path / "deep_cnn.safetensors"
    shutil.copyfile(bundled_weights_path("deep_cnn"), path)
    model = load_model(path)
    model.checkpoint.save(temperature=0.5)  # rewriting the metadata keeps the detector
    again = load_model(path)
    assert again.temperature == 0.5 and again.detector.threshold == model.detector.threshold
    np.testing.assert_array_equal(again.detector.precision, model.detector.precision)


def test_a_model_without_a_detector_says_how_to_fit_one():
    model = load_model("mlp")
    assert model.detector is None
    with pytest.raises(ValueError, match="scripts/not_a_digit.py"):
        model.is_digit(np.zeros((28, 28), np.uint8))


def test_digits_pass_and_non_digits_are_flagged(mnist):
    """The bundled detector flags 0.5% of 10,000 test drawings and 87% of the held-out non-digits (README);
    on smaller samples here: at most 3% and at least 70%."""
    model = load_model("deep_cnn")
    digits = drawn_digits(mnist.test.images[:400], seed=0)
    assert model.is_digit(digits).mean() >= 0.97
    assert model.is_digit(mnist.test.images[:1000]).mean() >= 0.97  # MNIST itself
    assert (~model.is_digit(non_digits.held_out_set(mnist.test.images, 200))).mean() >= 0.70
    assert (~model.is_digit(non_digits.tuning_set(mnist.train.images[:1000], 150))).mean() >= 0.60
