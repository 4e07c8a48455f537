import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mnist_flax import MODELS
from mnist_flax.convolution import conv_general_dilated
from mnist_flax.models import count_params
from mnist_flax.pooling import relu_max_pool

KERAS_PARAMS = {"vanilla_mlp": 47_410, "shallow_mlp": 407_050, "mlp": 335_114, "cnn": 217_194, "deep_cnn": 329_962}


def test_registry_holds_the_five_tutorial_models():
    assert list(MODELS) == list(KERAS_PARAMS)
    for entry in MODELS.values():
        assert entry.description and 0 < entry.tutorial_accuracy < 100
        assert entry.recipe("tutorial") is entry.tutorial and entry.recipe("best") is entry.best
        assert entry.best.augment and entry.best.split == "all"  # the bundled weights' recipe
    assert MODELS["vanilla_mlp"].tutorial.raw_pixels  # the tutorial's mistake, kept on purpose
    with pytest.raises(ValueError, match="tutorial, best"):
        MODELS["cnn"].recipe("fastest")


@pytest.mark.parametrize("name", list(KERAS_PARAMS))
def test_parameter_count_equals_keras(name):
    assert count_params(MODELS[name].build(0)) == KERAS_PARAMS[name]


@pytest.mark.parametrize("name", list(KERAS_PARAMS))
@pytest.mark.parametrize("shape", [(3, 28, 28), (3, 28, 28, 1)])
def test_output_shape(name, shape):
    out = MODELS[name].build(0)(jnp.ones(shape))
    assert out.shape == (3, 10) and out.dtype == jnp.float32


def test_dropout_only_with_a_key():
    model = MODELS["deep_cnn"].build(0)
    x = jax.random.uniform(jax.random.key(1), (4, 28, 28))
    np.testing.assert_array_equal(model(x), model(x))
    a, b = model(x, dropout_key=jax.random.key(2)), model(x, dropout_key=jax.random.key(3))
    assert not np.allclose(a, b)
    assert not np.allclose(a, model(x))


def test_same_seed_same_weights():
    a, b, c = (nnx.state(MODELS["cnn"].build(s)) for s in (0, 0, 1))
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    assert not all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(c)))


@pytest.mark.parametrize("hw", [26, 11])
def test_fused_relu_max_pool_matches_reference(hw):
    x = jax.random.normal(jax.random.key(0), (3, hw, hw, 4))

    def reference(x):
        return nnx.max_pool(jax.nn.relu(x), (2, 2), (2, 2))

    np.testing.assert_array_equal(relu_max_pool(x), reference(x))
    np.testing.assert_array_equal(
        jax.grad(lambda x: (relu_max_pool(x) ** 2).sum())(x), jax.grad(lambda x: (reference(x) ** 2).sum())(x)
    )


@pytest.mark.parametrize("in_features, fast_path", [(1, True), (3, False)])
def test_conv_drop_in_matches_lax(in_features, fast_path):
    kwargs = dict(kernel_size=(3, 3), padding="VALID")
    ours = nnx.Conv(in_features, 8, conv_general_dilated=conv_general_dilated, rngs=nnx.Rngs(0), **kwargs)
    reference = nnx.Conv(in_features, 8, rngs=nnx.Rngs(0), **kwargs)
    x = jax.random.normal(jax.random.key(1), (4, 12, 12, in_features))

    def loss(conv, x):
        return (conv(x) ** 2).sum()

    assert ("custom_vjp" in str(jax.make_jaxpr(ours)(x))) == fast_path
    np.testing.assert_allclose(ours(x), reference(x), rtol=1e-5, atol=1e-5)
    for a, b in zip(
        jax.tree.leaves(nnx.grad(loss, argnums=(0, 1))(ours, x)),
        jax.tree.leaves(nnx.grad(loss, argnums=(0, 1))(reference, x)),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
