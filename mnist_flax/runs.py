"""One training run, written once: every caller (the scripts, the app's Train tab, the
hidden-units sweep, the benchmarks) builds a ``Run`` and drives it.

A run takes a registry model (or a model you built), cuts the recipe's splits, trains
as a stream of ``Progress`` records that it keeps in ``history``, is tested on the
test set, and saves its weights with what it was trained on. ``write`` adds the
history and the tutorials' figures beside the weights.
"""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from flax import nnx

from mnist_flax.checkpoints import save_checkpoint
from mnist_flax.data import Mnist, Split
from mnist_flax.evaluation import Evaluation, evaluate
from mnist_flax.recipe import Recipe
from mnist_flax.registry import get_model_entry
from mnist_flax.training import Progress, recipe_splits, train


class Run:
    """Model ``name`` trained with ``recipe`` on ``data``.

    ``train_size`` keeps the first images of the recipe's training split; ``validation_size``
    the first of its validation split (0: no validation); ``extra_train`` is added to the training
    split (visitors' corrections); ``steps`` defaults to the recipe's epochs; ``model`` replaces the
    registry's fresh one (the sweep's ad-hoc widths, or trained weights to fine-tune).
    """

    def __init__(
        self,
        name: str,
        recipe: Recipe,
        data: Mnist,
        *,
        seed: int = 0,
        train_size: int | None = None,
        validation_size: int | None = None,
        steps: int | None = None,
        model: nnx.Module | None = None,
        extra_train: Split | None = None,
    ):
        train_split, validation = recipe_splits(recipe, data)
        self.name, self.recipe, self.seed = name, recipe, seed
        self.train_split = train_split[:train_size] if train_size else train_split
        if extra_train is not None:
            self.train_split = self.train_split + extra_train
        self.validation = None if validation_size == 0 else validation[:validation_size]
        self.test = data.test
        self.model = model if model is not None else get_model_entry(name).build(seed)
        self.steps = steps or recipe.epochs * (len(self.train_split) // recipe.batch_size)
        self.history: list[dict] = []
        self.evaluation: Evaluation | None = None  # on the test set, once tested
        self.wall_time = 0.0  # seconds training and testing, compilation included

    def train(self, log_every: int = 100, eval_every: int | None = None, **options) -> Iterator[Progress]:
        """Trains in place, yielding (and keeping) a record every ``log_every`` steps; close it to stop."""
        start = time.perf_counter()
        try:
            for progress in train(
                self.model,
                self.recipe,
                self.train_split,
                self.validation,
                seed=self.seed,
                steps=self.steps,
                log_every=log_every,
                eval_every=eval_every,
                **options,
            ):
                self.history.append(progress.as_dict())
                yield progress
        finally:
            self.wall_time += time.perf_counter() - start

    def evaluate(self, split=None) -> Evaluation:
        """The model on ``split`` (default: the test set, kept as ``evaluation``)."""
        start = time.perf_counter()
        result = evaluate(self.model, self.test if split is None else split, raw_pixels=self.recipe.raw_pixels)
        if split is None:
            self.evaluation = result
            self.wall_time += time.perf_counter() - start
        return result

    def complete(self, on_progress: Callable[[Progress], None] = lambda p: None, **train_options) -> "Run":
        """Trains to the end, then tests."""
        for progress in self.train(**train_options):
            on_progress(progress)
        self.evaluate()
        return self

    @property
    def epochs(self) -> float:
        return self.history[-1]["epoch"] if self.history else 0.0

    def save_weights(self, path) -> Path:
        """The weights, with the model's name, the recipe and the test accuracy as metadata."""
        return save_checkpoint(
            path,
            self.model,
            self.name,
            self.recipe,
            test_accuracy=self.evaluation.accuracy,
            epochs=round(self.epochs, 2),
            wall_time_s=round(self.wall_time, 1),
            train_size=len(self.train_split),
        )

    def write(self, out_dir, label: str = "") -> Path:
        """Weights, history (JSON) and three figures into ``out_dir``; returns the weights' path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        weights = self.save_weights(out / f"{self.name}.safetensors")
        (out / f"{self.name}_history.json").write_text(
            json.dumps(
                {
                    "model": self.name,
                    "recipe": self.recipe.as_dict(),
                    "seed": self.seed,
                    "test_accuracy": self.evaluation.accuracy,
                    "wall_time_s": self.wall_time,
                    "train_size": len(self.train_split),
                    "history": self.history,
                },
                indent=1,
            )
        )
        from mnist_flax import plots  # matplotlib only where figures are saved: a training worker never draws

        title = f"{self.name} {label}: test accuracy {self.evaluation.accuracy:.2%}"
        plots.save(plots.learning_curves({label or "run": self.history}, title), out / f"{self.name}_curves.png")
        predicted = self.evaluation.probabilities.argmax(1)
        plots.save(
            plots.misclassified_grid(self.test.images, self.test.labels, predicted, self.evaluation.misclassified),
            out / f"{self.name}_misclassified.png",
        )
        plots.save(plots.confusion_matrix(self.evaluation.confusion, title), out / f"{self.name}_confusion.png")
        return weights
