"""The five Keras tutorial architectures, layer for layer, as Flax NNX modules.

Every model maps float images (N, 28, 28) or (N, 28, 28, 1) to logits (N, 10).
Layers use Keras's defaults (Glorot-uniform kernels, zero biases, 'valid' 3x3
convolutions, 2x2 max-pooling after a relu) so parameter counts and the tutorials' training
behaviour match. Dropout runs only when a ``dropout_key`` is given.
"""
from functools import partial

import jax
import jax.numpy as jnp
from flax import nnx

from mnist_flax.convolution import conv_general_dilated
from mnist_flax.pooling import relu_max_pool

_glorot = nnx.initializers.glorot_uniform()
Dense = partial(nnx.Linear, kernel_init=_glorot)
Conv3x3 = partial(nnx.Conv, kernel_size=(3, 3), padding="VALID", kernel_init=_glorot,
                  conv_general_dilated=conv_general_dilated)


def _dropout_keys(dropout_key, n):
    return [None] * n if dropout_key is None else list(jax.random.split(dropout_key, n))


class MLP(nnx.Module):
    """Dense layers on the flattened image: hidden ``widths`` with one activation, then 10 logits."""

    def __init__(self, widths, activation, *, rngs: nnx.Rngs):
        sizes = [28 * 28, *widths]
        self.hidden = nnx.List([Dense(a, b, rngs=rngs) for a, b in zip(sizes, sizes[1:])])
        self.out = Dense(sizes[-1], 10, rngs=rngs)
        self.activation = activation

    def __call__(self, x, dropout_key=None):
        x = x.reshape(x.shape[0], -1)
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.out(x)


class CNN(nnx.Module):
    """Conv32-Pool-Conv32-Pool-Dense256-Dense10, the Keras tutorial's small CNN."""

    def __init__(self, *, rngs: nnx.Rngs):
        self.conv1 = Conv3x3(1, 32, rngs=rngs)
        self.conv2 = Conv3x3(32, 32, rngs=rngs)
        self.dense = Dense(5 * 5 * 32, 256, rngs=rngs)
        self.out = Dense(256, 10, rngs=rngs)

    def __call__(self, x, dropout_key=None):
        x = x.reshape(x.shape[0], 28, 28, 1)
        x = relu_max_pool(self.conv1(x))
        x = relu_max_pool(self.conv2(x))
        x = nnx.relu(self.dense(x.reshape(x.shape[0], -1)))
        return self.out(x)


class DeepCNN(nnx.Module):
    """Conv32-Conv32-Pool-Drop.25-Conv64-Conv64-Pool-Drop.25-Dense256-Drop.5-Dense10."""

    def __init__(self, *, rngs: nnx.Rngs):
        self.conv1 = Conv3x3(1, 32, rngs=rngs)
        self.conv2 = Conv3x3(32, 32, rngs=rngs)
        self.conv3 = Conv3x3(32, 64, rngs=rngs)
        self.conv4 = Conv3x3(64, 64, rngs=rngs)
        self.dense = Dense(4 * 4 * 64, 256, rngs=rngs)
        self.out = Dense(256, 10, rngs=rngs)
        self.drop_conv = nnx.Dropout(0.25)
        self.drop_dense = nnx.Dropout(0.5)

    def __call__(self, x, dropout_key=None):
        k1, k2, k3 = _dropout_keys(dropout_key, 3)
        train = dropout_key is not None
        x = x.reshape(x.shape[0], 28, 28, 1)
        x = relu_max_pool(self.conv2(nnx.relu(self.conv1(x))))
        x = self.drop_conv(x, deterministic=not train, rngs=k1)
        x = relu_max_pool(self.conv4(nnx.relu(self.conv3(x))))
        x = self.drop_conv(x, deterministic=not train, rngs=k2)
        x = nnx.relu(self.dense(x.reshape(x.shape[0], -1)))
        x = self.drop_dense(x, deterministic=not train, rngs=k3)
        return self.out(x)


def vanilla_mlp(rngs):
    return MLP([50] * 4, nnx.sigmoid, rngs=rngs)


def shallow_mlp(rngs):
    return MLP([512], nnx.relu, rngs=rngs)


def mlp(rngs):
    return MLP([256] * 3, nnx.relu, rngs=rngs)


def cnn(rngs):
    return CNN(rngs=rngs)


def deep_cnn(rngs):
    return DeepCNN(rngs=rngs)


def count_params(model) -> int:
    return sum(p.size for p in jax.tree.leaves(nnx.state(model, nnx.Param)))


def forward_flops(model) -> float:
    """FLOPs of one image's forward pass, as XLA counts them in the compiled program."""
    graphdef, params = nnx.split(model)
    lowered = jax.jit(lambda p, x: nnx.merge(graphdef, p)(x)).lower(params, jnp.zeros((1, 28, 28)))
    return float(lowered.compile().cost_analysis().get("flops", 0.0))
