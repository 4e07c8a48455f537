"""Every model ships trained weights whose recorded accuracy is what they really score."""
import pytest

from mnist_flax import MODELS, evaluate, load_model
from mnist_flax.prediction import bundled_weights_path


@pytest.mark.parametrize("name", list(MODELS))
def test_bundled_weights_score_their_recorded_accuracy(name, mnist):
    assert bundled_weights_path(name).is_file(), f"no bundled weights for {name}"
    predictor = load_model(name)
    assert predictor.checkpoint.recipe == MODELS[name].best, "bundled weights come from the best recipe"
    accuracy = evaluate(predictor.model, mnist.test, raw_pixels=predictor.raw_pixels).accuracy
    assert accuracy == pytest.approx(predictor.test_accuracy, abs=0.0005)
    assert (predictor.predict(mnist.test.images).argmax(1) == mnist.test.labels).mean() == pytest.approx(accuracy)
