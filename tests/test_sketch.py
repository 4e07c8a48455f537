import numpy as np
import pytest
from PIL import Image

from mnist_flax import load_model
from mnist_flax.sketch import (BlankSketchError, SketchError, naive_resize, preprocess_sketch,
                               simulate_drawing)


@pytest.fixture(scope="module")
def digit(mnist):
    return mnist.test.images[0]  # a 7


def on_canvas(digit, size=400, scale=250, top=30, left=120):
    ink = np.zeros((size, size), np.uint8)
    ink[top: top + scale, left: left + scale] = np.asarray(Image.fromarray(digit).resize((scale, scale),
                                                                                         Image.Resampling.BILINEAR))
    return ink


def close_to(a, b, tolerance=12):
    return np.abs(a.astype(int) - b.astype(int)).mean() < tolerance


def test_output_is_an_mnist_digit(digit):
    out = preprocess_sketch(255 - on_canvas(digit))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255
    rows, cols = np.flatnonzero(out.max(1) > 0), np.flatnonzero(out.max(0) > 0)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21  # fits the 20x20 box (+1 for rounding)
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 14) < 1 and abs((xs * out).sum() / out.sum() - 14) < 1
    assert close_to(out, digit)


def test_polarity_and_formats_agree(digit):
    ink = on_canvas(digit)
    dark_on_light = np.repeat((255 - ink)[..., None], 3, -1)
    light_on_dark = np.repeat(ink[..., None], 3, -1)
    transparent = np.zeros((*ink.shape, 4), np.uint8)
    transparent[..., 3] = ink
    sketchpad = {"background": None, "layers": [transparent], "composite": dark_on_light}
    variants = [ink, dark_on_light, light_on_dark, transparent, Image.fromarray(dark_on_light), sketchpad,
                {"background": dark_on_light, "layers": [], "composite": None}, ink.astype(np.float32) / 255]
    reference = preprocess_sketch(variants[0])
    for v in variants[1:]:
        assert close_to(preprocess_sketch(v), reference, 3)


def test_independent_of_canvas_resolution(digit):
    small = on_canvas(digit, size=300, scale=200, top=40, left=60)
    hidpi = np.asarray(Image.fromarray(small).resize((600, 600), Image.Resampling.BILINEAR))
    assert close_to(preprocess_sketch(small), preprocess_sketch(hidpi), 4)


@pytest.mark.parametrize("blank", [
    np.zeros((300, 300, 4), np.uint8),  # nothing drawn on a transparent layer
    np.full((300, 300, 3), 255, np.uint8),  # white
    np.zeros((300, 300, 3), np.uint8),  # all black
    np.full((500, 500), 128, np.uint8),  # uniform grey
    None,
    {"background": None, "layers": [], "composite": None},
    {"background": None, "layers": [np.zeros((300, 300, 4), np.uint8)], "composite": np.full((300, 300, 3), 255, np.uint8)},
])
def test_blank_canvas_is_not_a_digit(blank):
    with pytest.raises(BlankSketchError, match="Draw a digit"):
        preprocess_sketch(blank)


def test_a_dot_is_blank_and_a_filled_canvas_too():
    dot = np.full((400, 400), 255, np.uint8)
    dot[200, 200] = 0
    with pytest.raises(BlankSketchError):
        preprocess_sketch(dot)
    filled = np.zeros((400, 400, 4), np.uint8)
    filled[..., 3] = 255
    filled[0, 0, 3] = 0
    with pytest.raises(BlankSketchError, match="filled"):
        preprocess_sketch(filled)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 1)), "too small"),
    ("a string", "no such image file: a string"),  # strings are paths
    (3.5, "expected an image"),
    (np.zeros((5, 5, 7)), "expected an H x W"),
    (np.zeros((10,)), "expected an H x W"),
])
def test_unreadable_input(bad, message):
    with pytest.raises(SketchError, match=message):
        preprocess_sketch(bad)


def test_huge_canvas(digit):
    huge = np.full((4000, 4000, 3), 255, np.uint8)
    huge[1000:3000, 1000:3000] = 255 - np.asarray(Image.fromarray(digit).resize((2000, 2000)))[..., None]
    assert close_to(preprocess_sketch(huge), digit)


def test_bundled_model_reads_drawings_and_naive_resizing_does_not(mnist):
    model = load_model("cnn")
    rng = np.random.default_rng(1)
    n = 300
    drawings = [simulate_drawing(mnist.test.images[i], rng) for i in range(n)]
    labels = mnist.test.labels[:n]
    on_mnist = (model.predict(mnist.test.images[:n]).argmax(1) == labels).mean()
    preprocessed = (model.predict(np.stack([preprocess_sketch(d) for d in drawings])).argmax(1) == labels).mean()
    naive = (model.predict(np.stack([naive_resize(d) for d in drawings])).argmax(1) == labels).mean()
    assert preprocessed >= on_mnist - 0.04
    assert naive < preprocessed - 0.3
