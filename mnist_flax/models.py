"""The five Keras tutorial architectures, layer for layer, as Flax NNX modules.

Every model maps float images (N, 28, 28) or (N, 28, 28, 1) to logits (N, 10).
Layers use Keras's defaults (Glorot-uniform kernels, zero biases, 'valid' 3x3
convolutions, 2x2 max-pooling after a relu) so parameter counts and the tutorials' training
behaviour match. Dropout runs only when a ``dropout_key`` is given.
"""

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
from flax import nnx

from mnist_flax.convolution import conv_general_dilated
from mnist_flax.pooling import relu_max_pool

_glorot = nnx.initializers.glorot_uniform()
Dense = partial(nnx.Linear, kernel_init=_glorot)
Conv3x3 = partial(
    nnx.Conv, kernel_size=(3, 3), padding="VALID", kernel_init=_glorot, conv_general_dilated=conv_general_dilated
)


def _dropout_keys(dropout_key, n):
    return [None] * n if dropout_key is None else list(jax.random.split(dropout_key, n))


Stage = tuple[str | None, Callable]  # a layer's name (None: a reshape or dropout, not shown) and what it does


def run_stages(stages: list[Stage], x, record: list | None = None):
    """The forward pass, written once: each model lists its stages and ``__call__`` runs them here;
    with ``record`` (a list), every named stage's output is appended to it as (name, output)."""
    for name, stage in stages:
        x = stage(x)
        if record is not None and name is not None:
            record.append((name, x))
    return x


def _flatten(x):
    return x.reshape(x.shape[0], -1)


def _image(x):
    return x.reshape(x.shape[0], 28, 28, 1)


class Model(nnx.Module):
    """What every architecture shares: ``__call__`` runs its ``stages``; ``first_layer`` is the layer
    whose weights look at the pixels (shown as images by the app)."""

    def __call__(self, x, dropout_key=None, record: list | None = None):
        return run_stages(self.stages(dropout_key), x, record)


class MLP(Model):
    """Dense layers on the flattened image: hidden ``widths`` with one activation, then 10 logits."""

    def __init__(self, widths, activation, *, rngs: nnx.Rngs):
        sizes = [28 * 28, *widths]
        self.hidden = nnx.List([Dense(a, b, rngs=rngs) for a, b in zip(sizes, sizes[1:])])
        self.out = Dense(sizes[-1], 10, rngs=rngs)
        self.activation = activation

    @property
    def first_layer(self) -> nnx.Linear:
        return self.hidden[0]

    def stages(self, dropout_key=None) -> list[Stage]:
        act = self.activation.__name__
        return [
            (None, _flatten),
            *(
                (f"dense{i + 1} + {act}", lambda x, layer=layer: self.activation(layer(x)))
                for i, layer in enumerate(self.hidden)
            ),
            ("logits", self.out),
        ]


class CNN(Model):
    """Conv32-Pool-Conv32-Pool-Dense256-Dense10, the Keras tutorial's small CNN."""

    def __init__(self, *, rngs: nnx.Rngs):
        self.conv1 = Conv3x3(1, 32, rngs=rngs)
        self.conv2 = Conv3x3(32, 32, rngs=rngs)
        self.dense = Dense(5 * 5 * 32, 256, rngs=rngs)
        self.out = Dense(256, 10, rngs=rngs)

    @property
    def first_layer(self) -> nnx.Conv:
        return self.conv1

    def stages(self, dropout_key=None) -> list[Stage]:
        return [
            (None, _image),
            ("conv1", self.conv1),
            ("relu + pool1", relu_max_pool),
            ("conv2", self.conv2),
            ("relu + pool2", relu_max_pool),
            (None, _flatten),
            ("dense + relu", lambda x: nnx.relu(self.dense(x))),
            ("logits", self.out),
        ]


class DeepCNN(Model):
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

    @property
    def first_layer(self) -> nnx.Conv:
        return self.conv1

    def stages(self, dropout_key=None) -> list[Stage]:
        k1, k2, k3 = _dropout_keys(dropout_key, 3)
        still = dropout_key is None

        def drop(layer, key):
            return None, lambda x: layer(x, deterministic=still, rngs=key)

        return [
            (None, _image),
            ("conv1 + relu", lambda x: nnx.relu(self.conv1(x))),
            ("conv2", self.conv2),
            ("relu + pool1", relu_max_pool),
            drop(self.drop_conv, k1),
            ("conv3 + relu", lambda x: nnx.relu(self.conv3(x))),
            ("conv4", self.conv4),
            ("relu + pool2", relu_max_pool),
            drop(self.drop_conv, k2),
            (None, _flatten),
            ("dense + relu", lambda x: nnx.relu(self.dense(x))),
            drop(self.drop_dense, k3),
            ("logits", self.out),
        ]


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
    """FLOPs of one image's forward pass, as XLA counts them in the program (lowered, not compiled: the same
    count, without the compilation)."""
    graphdef, params = nnx.split(model)
    lowered = jax.jit(lambda p, x: nnx.merge(graphdef, p)(x)).lower(params, jnp.zeros((1, 28, 28)))
    return float(lowered.cost_analysis().get("flops", 0.0))
