import numpy as np
import pytest

from mnist_flax import MODELS, Predictor, load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def predictors(tmp_path_factory):
    out = {}
    for raw in (False, True):
        path = tmp_path_factory.mktemp("w") / "m.safetensors"
        save_checkpoint(path, MODELS["mlp"].build(0), "mlp", MODELS["mlp"].tutorial.replace(raw_pixels=raw))
        out[raw] = Predictor(load_checkpoint(path))
    return out


def test_uint8_and_float_inputs_agree(predictors):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    p = predictors[False]
    a, b = p.predict(images), p.predict(images / 255.0)
    assert a.shape == (5, 10)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(p.predict(images[0]), a[:1], rtol=1e-5, atol=1e-6)


def test_raw_pixel_models_get_raw_pixels(predictors):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    raw = predictors[True]
    expected = np.asarray(raw.model(images.astype(np.float32)))
    expected = np.exp(expected - expected.max(1, keepdims=True))
    np.testing.assert_allclose(raw.predict(images), expected / expected.sum(1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_large_batches_and_bad_shapes(predictors):
    p = predictors[False]
    assert p.predict(np.zeros((2500, 28, 28), np.uint8)).shape == (2500, 10)
    assert p.predict(np.zeros((0, 28, 28), np.uint8)).shape == (0, 10)
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        p.predict(np.zeros((2, 32, 32)))


@pytest.mark.parametrize(
    "images, message",
    [
        (np.full((2, 28, 28), 255.0), r"float images must lie in \[0, 1\].*pass uint8"),  # 0..255 as floats
        (np.full((28, 28), np.nan, np.float32), "NaN"),
        (np.full((28, 28), -0.5), r"must lie in \[0, 1\]"),
        (np.zeros((2, 32, 32)), r"28x28 images.*got \(2, 32, 32\).*read_digit"),
        (np.zeros((2, 28, 28, 3)), r"28x28 images"),
        (np.zeros(784), r"28x28 images"),
        (np.zeros((2, 28, 28), np.int64), "integer images must be uint8"),
        (np.zeros((2, 28, 28), bool), "must be uint8 images of 0..255 .* or floats in"),
        (np.array([["a"] * 28] * 28), "got dtype <U1"),
    ],
)
def test_bad_input_raises_a_clear_error(predictors, images, message):
    for method in (predictors[False].predict, predictors[False].saliency):
        with pytest.raises(ValueError, match=message):
            method(images)


def test_the_sketch_cast_to_float_is_refused_not_misread(predictors):
    """read_digit's uint8 digit cast to float32 (0..255) used to be read as all ink."""
    from mnist_flax import read_digit

    digit = np.zeros((300, 300), np.uint8)
    digit[50:250, 140:160] = 255
    image = read_digit(digit)
    with pytest.raises(ValueError, match="pass uint8"):
        predictors[False].predict(image.astype(np.float32))
    np.testing.assert_allclose(
        predictors[False].predict(image), predictors[False].predict(image / 255.0), rtol=1e-5, atol=1e-6
    )


def test_evaluation_and_prediction_share_one_forward_pass(predictors, mnist):
    from mnist_flax import evaluate

    p = predictors[False]
    split = mnist.test[:300]
    np.testing.assert_allclose(evaluate(p.model, split).probabilities, p.predict(split.images), rtol=1e-5, atol=1e-6)


def test_an_unwritable_compilation_cache_falls_back_with_a_warning(tmp_path):
    from mnist_flax import enable_compilation_cache

    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    with pytest.warns(UserWarning, match="no compilation cache.*not writable"):
        assert enable_compilation_cache(blocked / "cache") is None
