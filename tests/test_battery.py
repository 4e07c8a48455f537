"""The reader and the judge on small samples of every battery family (inputs built apart from what they were
tuned on), through the file door the API and MCP tools use; with a regression test for each failure the
reader issue found. The full table: python -m bench battery."""

import io

import numpy as np
import pytest

from mnist_flax import BlankSketchError, load_model, read
from mnist_flax.inputs import battery
from mnist_flax.novelty import load_judge


@pytest.fixture(scope="module")
def cnn():
    return load_model("cnn")


@pytest.fixture(scope="module")
def judge():
    return load_judge()


def read_family(mnist, name, n, half="tuning"):
    """The family's samples and the 28x28 digits the file door gives (None: read as blank)."""
    samples = battery.family(name, mnist.test.images, mnist.test.labels, half, n)
    digits = []
    for sample in samples:
        try:
            digits.append(read(io.BytesIO(sample.data)).digit)
        except BlankSketchError:
            digits.append(None)
    return samples, digits


def scores(samples, digits, cnn, judge):
    """Accuracy (blank counts as wrong) and the share flagged as not a digit."""
    assert all(d is not None for d in digits), "a digit was read as blank"
    images = np.stack(digits)
    labels = np.array([s.label for s in samples])
    return (cnn.predict(images).argmax(1) == labels).mean(), (~judge.is_digit(images)).mean()


def test_families_are_made_the_same_way_each_time_and_the_halves_apart(mnist):
    for name in battery.FAMILIES:
        a = battery.family(name, mnist.test.images, mnist.test.labels, "tuning", 4)
        b = battery.family(name, mnist.test.images, mnist.test.labels, "tuning", 4)
        held_out = battery.family(name, mnist.test.images, mnist.test.labels, "held_out", 4)
        assert [s.data for s in a] == [s.data for s in b]
        assert not {s.data for s in a} & {s.data for s in held_out}
        assert all(s.image().ndim in (2, 3) and min(s.image().shape[:2]) >= 8 for s in a)


@pytest.mark.parametrize(
    "name, n, accuracy",
    [
        ("drawings", 150, 0.97),  # brush drawings, any pen and size: 98.75% through the API before
        ("tight_crops", 150, 0.98),  # no margin at all: 64% before, 24% flagged
        ("low_resolution", 150, 0.96),  # 8-16 px bitmaps enlarged: 47% before
        ("coloured_ink", 100, 0.96),
        ("photos", 100, 0.93),  # loose and cropped tight to the digit
    ],
)
def test_digits_of_every_family_are_read_and_taken_for_digits(mnist, cnn, judge, name, n, accuracy):
    right, flagged = scores(*read_family(mnist, name, n), cnn, judge)
    assert right >= accuracy
    assert flagged <= 0.04


def test_mnist_files_get_the_answer_their_arrays_get(mnist, cnn):
    """The 28x28 PNG files themselves (before and after the one reader: docs/reader.md)."""
    samples, digits = read_family(mnist, "mnist_files", 300)
    arrays = np.stack([s.image() for s in samples])
    np.testing.assert_array_equal(np.stack(digits), arrays)
    assert (cnn.predict(np.stack(digits)).argmax(1) == cnn.predict(arrays).argmax(1)).all()


def test_a_tall_one_is_a_one_not_a_ruled_line(mnist, cnn):
    """A plain straight stroke over most of the image's height: "Draw a digit" at every size before."""
    samples, digits = read_family(mnist, "tall_strokes", 60)
    assert all(d is not None for d in digits)
    assert (cnn.predict(np.stack(digits)).argmax(1) == 1).mean() >= 0.95


def test_non_digits_are_detected(mnist, judge):
    """Letters, symbols, scribbles, shapes, faces, digits in a row: none detected through the API before
    (the answer had no verdict), and two digits side by side were read as one."""
    samples, digits = read_family(mnist, "non_digits", 180)
    detected = np.array([d is None or not judge.is_digit(d)[0] for d in digits])
    assert detected.mean() >= 0.8
    in_a_row = detected[battery.NON_DIGIT_KINDS.index("digits in a row") :: len(battery.NON_DIGIT_KINDS)]
    assert in_a_row.mean() >= 0.8
