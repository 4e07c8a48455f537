"""The reader: any image people and agents send -> the digit in MNIST's format, read the way its kind needs."""

import io

import numpy as np
import pytest
from PIL import Image

from mnist_flax import BlankSketchError, SketchError, load_model, read, read_digit
from mnist_flax.inputs import drawn_digits, simulate_drawing, synthetic_photos
from mnist_flax.reader import MAX_PIXELS, digit_from_ink


@pytest.fixture(scope="module")
def cnn():
    return load_model("cnn")


@pytest.fixture(scope="module")
def seven(mnist):
    return mnist.test.images[0]


def on_canvas(digit, size=400, scale=250, top=30, left=120):
    ink = np.zeros((size, size), np.uint8)
    ink[top : top + scale, left : left + scale] = np.asarray(
        Image.fromarray(digit).resize((scale, scale), Image.Resampling.BILINEAR)
    )
    return ink


def close_to(a, b, tolerance=12):
    return np.abs(a.astype(int) - b.astype(int)).mean() < tolerance


def png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def test_output_is_an_mnist_digit(seven):
    out = read_digit(255 - on_canvas(seven))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255
    rows, cols = np.flatnonzero(out.max(1) > 0), np.flatnonzero(out.max(0) > 0)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21  # fits the 20x20 box (+1 for rounding)
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 14) < 1 and abs((xs * out).sum() / out.sum() - 14) < 1
    assert close_to(out, seven)


def test_polarity_colours_and_formats_agree(seven):
    ink = on_canvas(seven)
    a = ink[..., None].astype(np.float32) / 255
    red_on_yellow = np.round(255 * (np.array([1.0, 0.95, 0.5]) * (1 - a) + np.array([0.8, 0.1, 0.1]) * a))
    transparent = np.zeros((*ink.shape, 4), np.uint8)
    transparent[..., 3] = ink
    variants = [
        255 - ink,
        np.repeat((255 - ink)[..., None], 3, -1),
        np.repeat(ink[..., None], 3, -1),
        transparent,
        Image.fromarray(255 - ink),
        red_on_yellow.astype(np.uint8),
        ink.astype(np.float32) / 255,
        ink.astype(np.float32),
        png(255 - ink),
        io.BytesIO(png(transparent)),
    ]
    reference = read_digit(ink)
    for variant in variants:
        assert close_to(read_digit(variant), reference, 3)
        assert read(variant).kind == "drawing"


def test_floats_of_0_to_255_are_read_as_such(seven):
    """Users pass floats of 0..255: read as 0..255, not clipped to all ink."""
    np.testing.assert_array_equal(read_digit(on_canvas(seven).astype(np.float64)), read_digit(on_canvas(seven)))


def test_independent_of_canvas_resolution(seven):
    small = on_canvas(seven, size=300, scale=200, top=40, left=60)
    hidpi = np.asarray(Image.fromarray(small).resize((600, 600), Image.Resampling.BILINEAR))
    assert close_to(read_digit(small), read_digit(hidpi), 4)


def test_mnist_images_are_taken_as_they_are(mnist):
    """An MNIST image, as an array or as the PNG file of it, reaches the models unchanged."""
    for image in mnist.test.images[:50]:
        for sent in (image, png(image), np.repeat(image[..., None], 3, -1)):
            found = read(sent)
            assert found.kind == "mnist"
            np.testing.assert_array_equal(found.digit, image)


def test_thin_pens_are_thickened_to_mnist_strokes(seven, cnn):
    """A one-pixel pen on a large canvas would shrink to a faint trace at 20x20."""
    big = np.asarray(Image.fromarray(seven).resize((560, 560), Image.Resampling.BICUBIC)) > 200
    from scipy import ndimage

    thin = (big & ~ndimage.binary_erosion(big, iterations=1)).astype(np.uint8) * 255  # an outline, 1 px wide
    digit = read_digit(255 - thin)
    assert (digit > 127).sum() >= 0.5 * (seven > 127).sum()


@pytest.mark.parametrize(
    "blank",
    [
        np.zeros((300, 300, 4), np.uint8),  # nothing drawn on a transparent layer
        np.full((300, 300, 3), 255, np.uint8),  # white
        np.zeros((300, 300, 3), np.uint8),  # all black
        np.full((500, 500), 128, np.uint8),  # uniform grey
        None,
    ],
)
def test_blank_images_hold_no_digit(blank):
    with pytest.raises(BlankSketchError, match="No digit found"):
        read(blank)


def test_a_dot_is_blank_and_a_filled_canvas_too():
    dot = np.full((400, 400), 255, np.uint8)
    dot[200, 200] = 0
    with pytest.raises(BlankSketchError):
        read(dot)
    filled = np.zeros((400, 400, 4), np.uint8)
    filled[..., 3] = 255
    filled[0, 0, 3] = 0
    with pytest.raises(BlankSketchError, match="blank"):
        read(filled)  # an opaque black layer: one colour
    ink = np.zeros((400, 400), np.uint8)
    ink[1:, 1:] = 255  # ink on all but the border
    with pytest.raises(BlankSketchError, match="filled with one colour"):
        digit_from_ink(ink / 255)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((1, 1)), "too small"),
        ("a string", "no such image file: a string"),  # strings are paths
        (3.5, "expected an image"),
        ({"composite": None}, "expected an image"),
        (np.zeros((5, 5, 7)), "expected an H x W"),
        (np.zeros((10,)), "expected an H x W"),
        (b"not an image", "not an image"),
    ],
)
def test_unreadable_input(bad, message):
    with pytest.raises(SketchError, match=message):
        read(bad)


def test_huge_images_are_refused_from_their_header_or_reduced(seven, tmp_path):
    huge = np.full((4000, 4000, 3), 255, np.uint8)
    huge[1000:3000, 1000:3000] = 255 - np.asarray(Image.fromarray(seven).resize((2000, 2000)))[..., None]
    assert close_to(read_digit(huge), seven)
    Image.new("L", (5000, 5000), 255).save(tmp_path / "page.png")
    with pytest.raises(SketchError, match=f"at most {MAX_PIXELS:,} pixels"):
        read(tmp_path / "page.png")


def test_drawings_are_read(mnist, cnn):
    labels = mnist.test.labels[:200]
    drawn = drawn_digits(mnist.test.images[:200])
    assert (cnn.predict(drawn).argmax(1) == labels).mean() >= 0.98


def test_photos_of_paper_are_read_as_photos(mnist, cnn):
    photos = list(synthetic_photos(mnist.test.images[:60], seed=3))
    readings = [read(p) for p in photos]
    assert all(r.kind == "photo" for r in readings)
    digits = np.stack([r.digit for r in readings])
    assert (cnn.predict(digits).argmax(1) == mnist.test.labels[:60]).mean() >= 0.95


def test_a_jpeg_file_is_read_like_the_array(mnist, tmp_path, cnn):
    photo = next(synthetic_photos(mnist.test.images[7:8]))
    path = tmp_path / "digit.jpg"
    Image.fromarray(photo).save(path, quality=95)
    assert cnn.predict(read_digit(path)).argmax() == mnist.test.labels[7]
    assert cnn.predict(read_digit(io.BytesIO(path.read_bytes()))).argmax() == mnist.test.labels[7]


def test_paper_without_a_digit_is_blank():
    rng = np.random.default_rng(0)
    paper = np.clip(0.8 + rng.normal(0, 0.01, (480, 640)), 0, 1)
    paper *= np.linspace(0.7, 1.0, 640)  # uneven light
    ruled = paper.copy()
    ruled[::32] *= 0.7
    for page in (paper, ruled):
        with pytest.raises(BlankSketchError):
            read((page * 255).astype(np.uint8))


def test_a_drawing_on_a_transparent_layer(mnist, cnn):
    layers = [simulate_drawing(mnist.test.images[i], np.random.default_rng(i), as_layer=True) for i in range(20)]
    digits = np.stack([read_digit(layer) for layer in layers])
    assert (cnn.predict(digits).argmax(1) == mnist.test.labels[:20]).mean() >= 0.95
