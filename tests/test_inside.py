"""Inside the networks: per-layer activations, first-layer weights, saliency and counterfactuals."""

import jax
import numpy as np
import pytest
from flax import nnx

from mnist_flax import MODELS, load_model
from mnist_flax.attribution import SALIENCY_METHODS
from mnist_flax.forward import model_logits
from mnist_flax.inside import first_layer_weights, layer_activations

LAYERS = {
    "vanilla_mlp": [
        ("input", (28, 28, 1)),
        *((f"dense{i} + sigmoid", (50,)) for i in range(1, 5)),
        ("logits", (10,)),
        ("softmax", (10,)),
    ],
    "shallow_mlp": [("input", (28, 28, 1)), ("dense1 + relu", (512,)), ("logits", (10,)), ("softmax", (10,))],
    "mlp": [
        ("input", (28, 28, 1)),
        *((f"dense{i} + relu", (256,)) for i in range(1, 4)),
        ("logits", (10,)),
        ("softmax", (10,)),
    ],
    "cnn": [
        ("input", (28, 28, 1)),
        ("conv1", (26, 26, 32)),
        ("relu + pool1", (13, 13, 32)),
        ("conv2", (11, 11, 32)),
        ("relu + pool2", (5, 5, 32)),
        ("dense + relu", (256,)),
        ("logits", (10,)),
        ("softmax", (10,)),
    ],
    "deep_cnn": [
        ("input", (28, 28, 1)),
        ("conv1 + relu", (26, 26, 32)),
        ("conv2", (24, 24, 32)),
        ("relu + pool1", (12, 12, 32)),
        ("conv3 + relu", (10, 10, 64)),
        ("conv4", (8, 8, 64)),
        ("relu + pool2", (4, 4, 64)),
        ("dense + relu", (256,)),
        ("logits", (10,)),
        ("softmax", (10,)),
    ],
}


@pytest.fixture(scope="module")
def predictors():
    return {name: load_model(name) for name in MODELS}


def test_every_model_lists_its_layers_in_order():
    assert list(LAYERS) == list(MODELS)
    for name, expected in LAYERS.items():
        model = MODELS[name].build(0)
        layers = layer_activations(*nnx.split(model), np.zeros((28, 28), np.uint8))
        assert [(layer.name, layer.shape) for layer in layers] == expected


@pytest.mark.parametrize("name", list(MODELS))
def test_layers_match_a_plain_forward_pass(predictors, mnist, name):
    predictor, image = predictors[name], mnist.test.images[7]
    layers = {layer.name: layer.values for layer in predictor.layers(image)}
    np.testing.assert_allclose(layers["softmax"], predictor.predict(image)[0], atol=1e-6)
    np.testing.assert_allclose(layers["logits"], model_logits(predictor.model, image)[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layers["input"][..., 0], image / 255, atol=1e-7)
    x = image.astype(np.float32) / 255
    first = predictor.model.first_layer
    kernel, bias = np.asarray(first.kernel[...]), np.asarray(first.bias[...])
    if name in ("cnn", "deep_cnn"):  # the first convolution, computed here by hand
        patches = np.stack([x[i : i + 26, j : j + 26] for i in range(3) for j in range(3)], -1)  # (26, 26, 9)
        conv = patches @ kernel.reshape(9, 32) + bias
        shown, expected = (layers["conv1"], conv) if name == "cnn" else (layers["conv1 + relu"], np.maximum(conv, 0))
        np.testing.assert_allclose(shown, expected, rtol=1e-4, atol=1e-4)
    else:  # an MLP's first dense layer
        activation = jax.nn.sigmoid if name == "vanilla_mlp" else jax.nn.relu
        dense = np.asarray(activation(x.reshape(-1) @ kernel + bias))
        np.testing.assert_allclose(
            next(v for k, v in layers.items() if k.startswith("dense1")), dense, rtol=1e-4, atol=1e-5
        )


def test_first_layer_weights_are_images():
    shapes = {
        "vanilla_mlp": (50, 28, 28),
        "shallow_mlp": (512, 28, 28),
        "mlp": (256, 28, 28),
        "cnn": (32, 3, 3),
        "deep_cnn": (32, 3, 3),
    }
    for name, shape in shapes.items():
        model = MODELS[name].build(0)
        weights, kernel = first_layer_weights(model), np.asarray(model.first_layer.kernel[...])
        assert weights.shape == shape
        np.testing.assert_array_equal(
            weights[1], kernel[..., 0, 1] if kernel.ndim == 4 else kernel[:, 1].reshape(28, 28)
        )


@pytest.mark.parametrize(
    "name, least_reached", [("vanilla_mlp", 0.9), ("shallow_mlp", 0.9), ("mlp", 0.6), ("cnn", 0.9), ("deep_cnn", 0.85)]
)
def test_the_counterfactual_reaches_the_target_for_most_digits(predictors, mnist, name, least_reached):
    """Thresholds: python -m bench counterfactuals measured each rate (docs/inside.md); these keep a margin."""
    images, labels = mnist.test.images[:60], mnist.test.labels[:60].astype(np.int32)
    targets = (labels + 1 + np.arange(60) % 9) % 10
    result = predictors[name].counterfactual(images, targets)
    rows = np.arange(60)
    assert result.reached.mean() >= least_reached
    assert (result.probabilities[-1, rows, targets] > result.probabilities[0, rows, targets]).mean() >= 0.95
    assert np.all(result.final >= 0) and np.all(result.final <= 1)
    already = predictors[name].counterfactual(images[:10], predictors[name].predict(images[:10]).argmax(1))
    assert already.reached.all() and (already.steps_taken == 0).all()
    np.testing.assert_array_equal(already.final, already.images[0])  # a target already read: nothing changes


def test_counterfactual_refuses_a_target_that_is_not_a_digit(predictors, mnist):
    with pytest.raises(ValueError, match="0 to 9"):
        predictors["cnn"].counterfactual(mnist.test.images[0], 10)


def test_integrated_gradients_add_up_to_the_logit(predictors, mnist):
    """The completeness property: the attributions sum to logit(image) - logit(blank image)."""
    predictor, image = predictors["cnn"], mnist.test.images[3]
    attribution = predictor.saliency(image, "integrated_gradients")
    z, blank = model_logits(predictor.model, image)[0], model_logits(predictor.model, np.zeros((28, 28)))[0]
    top = z.argmax()
    assert attribution.sum() == pytest.approx(z[top] - blank[top], rel=0.05)
    assert np.all(attribution[image == 0] == 0)  # nothing on blank paper


def test_every_saliency_method_and_a_bad_one(predictors, mnist):
    for method in SALIENCY_METHODS:
        assert predictors["mlp"].saliency(mnist.test.images[0], method).shape == (28, 28)
    with pytest.raises(ValueError, match="smoothgrad"):
        predictors["mlp"].saliency(mnist.test.images[0], "occlusion")
