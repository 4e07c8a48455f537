"""The model table: every part of the project (training, app tabs, benchmarks) iterates it."""

import dataclasses
from collections.abc import Callable

from flax import nnx

from mnist_flax import models
from mnist_flax.recipe import RECIPE_NAMES, Recipe


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    constructor: Callable[[nnx.Rngs], nnx.Module]
    tutorial: Recipe
    best: Recipe
    tutorial_accuracy: float  # the tutorial's reported test accuracy, in %

    def build(self, rngs: nnx.Rngs | int = 0) -> nnx.Module:
        return self.constructor(rngs if isinstance(rngs, nnx.Rngs) else nnx.Rngs(rngs))

    def recipe(self, name: str) -> Recipe:
        """The recipe called ``name`` (one of ``RECIPE_NAMES``)."""
        if name not in RECIPE_NAMES:
            raise ValueError(f"unknown recipe {name!r}: choose one of {', '.join(RECIPE_NAMES)}")
        return getattr(self, name)


_keras_sgd = Recipe(optimizer="sgd", learning_rate=0.01, batch_size=32, epochs=30)
_mlp_best = Recipe(
    optimizer="adamw",
    learning_rate=1e-3,
    batch_size=128,
    epochs=60,
    schedule="cosine",
    weight_decay=1e-4,
    label_smoothing=0.1,
    augment=True,
    split="all",
)
# Batch 32: on CPU, XLA's convolutions are fastest per image at the smallest batch.
_conv_best = _mlp_best.replace(batch_size=32)

MODELS: dict[str, ModelEntry] = {
    e.name: e
    for e in [
        ModelEntry(
            "vanilla_mlp",
            "4 x Dense(50, sigmoid): the tutorial's MLP that fails to learn on raw pixels",
            models.vanilla_mlp,
            tutorial=Recipe(learning_rate=0.001, batch_size=256, epochs=100, split="third", raw_pixels=True),
            best=Recipe(
                optimizer="adam",
                learning_rate=3e-3,
                batch_size=128,
                epochs=100,
                schedule="cosine",
                augment=True,
                split="all",
            ),
            tutorial_accuracy=21.44,
        ),
        ModelEntry(
            "shallow_mlp",
            "Dense(512, relu): one wide hidden layer",
            models.shallow_mlp,
            tutorial=Recipe(optimizer="rmsprop", learning_rate=0.001, batch_size=128, epochs=5, split="all"),
            best=_mlp_best,
            tutorial_accuracy=97.8,
        ),
        ModelEntry(
            "mlp",
            "3 x Dense(256, relu): the deeper MLP",
            models.mlp,
            tutorial=_keras_sgd,
            best=_mlp_best,
            tutorial_accuracy=97.68,
        ),
        ModelEntry(
            "cnn",
            "Conv32-Pool-Conv32-Pool-Dense256: the small CNN",
            models.cnn,
            tutorial=_keras_sgd,
            best=_conv_best.replace(epochs=30),
            tutorial_accuracy=98.76,
        ),
        ModelEntry(
            "deep_cnn",
            "Conv32-Conv32-Pool-Conv64-Conv64-Pool-Dense256 with dropout",
            models.deep_cnn,
            tutorial=_keras_sgd,
            best=_conv_best.replace(epochs=25),
            tutorial_accuracy=99.18,
        ),
    ]
}


def get_model_entry(name: str) -> ModelEntry:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}") from None
