"""Photos of digits on paper: read as MNIST digits despite light, shadows, ruled lines, blur and JPEG
(the README's figure: scripts/photo_accuracy.py on 2,000 synthetic photos)."""
import io

import numpy as np
import pytest
from PIL import Image

from mnist_flax import BlankSketchError, load_model
from mnist_flax.photo import preprocess_photo, synthetic_photos
from mnist_flax.sketch import drawn_digits, simulate_drawing


@pytest.fixture(scope="module")
def cnn():
    return load_model("cnn")


def test_synthetic_photos_are_read(mnist, cnn):
    """99.3% on 2,000 photos in the README; here 100 photos, at least 95%."""
    photos = list(synthetic_photos(mnist.test.images[:100], seed=3))
    assert all(p.dtype == np.uint8 and p.ndim == 3 and min(p.shape[:2]) >= 480 for p in photos)
    digits = np.stack([preprocess_photo(p) for p in photos])
    assert (cnn.predict(digits).argmax(1) == mnist.test.labels[:100]).mean() >= 0.95


def test_a_jpeg_file_is_read_like_the_array(mnist, tmp_path, cnn):
    photo = next(synthetic_photos(mnist.test.images[7:8]))
    path = tmp_path / "digit.jpg"
    Image.fromarray(photo).save(path, quality=95)
    assert cnn.predict(preprocess_photo(path)).argmax() == mnist.test.labels[7]
    assert cnn.predict(preprocess_photo(io.BytesIO(path.read_bytes()))).argmax() == mnist.test.labels[7]


def test_clean_images_pass_through(mnist, cnn):
    """MNIST's own images (light on dark) and drawings on a white canvas (dark on light)."""
    labels = mnist.test.labels[:200]
    as_mnist = np.stack([preprocess_photo(x) for x in mnist.test.images[:200]])
    assert (cnn.predict(as_mnist).argmax(1) == labels).mean() >= 0.97
    rng = np.random.default_rng(0)
    drawn = np.stack([preprocess_photo(simulate_drawing(x, rng, as_layer=False)["composite"])
                      for x in mnist.test.images[:100]])
    assert (cnn.predict(drawn).argmax(1) == labels[:100]).mean() >= 0.97
    assert (cnn.predict(drawn_digits(mnist.test.images[:100])).argmax(1) == labels[:100]).mean() >= 0.97


def test_paper_without_a_digit_is_blank():
    rng = np.random.default_rng(0)
    paper = np.clip(0.8 + rng.normal(0, 0.01, (480, 640)), 0, 1)
    paper *= np.linspace(0.7, 1.0, 640)  # uneven light
    ruled = paper.copy()
    ruled[::32] *= 0.7
    for page in (paper, ruled, np.full((300, 300), 0.5)):
        with pytest.raises(BlankSketchError):
            preprocess_photo((page * 255).astype(np.uint8))
