import numpy as np
import pytest

from mnist_flax import MODELS, Predictor, save_checkpoint, load_checkpoint


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
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        p.predict(np.zeros((2, 32, 32)))
