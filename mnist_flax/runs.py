"""One training run of a registry model end to end: train, test, and write its results.

Shared by ``scripts/train.py`` and ``scripts/reproduce.py`` so that both produce the
same files: ``{model}.safetensors``, ``{model}_history.json`` and three PNGs.
"""
import dataclasses
import json
import time
from pathlib import Path
from typing import Callable

from mnist_flax import plots
from mnist_flax.checkpoints import save_checkpoint
from mnist_flax.data import Mnist
from mnist_flax.registry import Recipe, get_model_entry
from mnist_flax.training import Evaluation, Progress, evaluate, recipe_splits, train


@dataclasses.dataclass
class RunResult:
    name: str
    recipe: Recipe
    model: object
    history: list[dict]
    test: Evaluation
    wall_time: float  # seconds, compilation and evaluation included
    train_size: int


def run(name: str, recipe: Recipe, data: Mnist, *, seed: int = 0, train_size: int | None = None,
        on_progress: Callable[[Progress], None] = lambda p: None) -> RunResult:
    """Trains model ``name`` with ``recipe`` on its split (the first ``train_size`` images if given)."""
    start = time.perf_counter()
    train_split, validation = recipe_splits(recipe, data)
    if train_size:
        train_split = train_split[:train_size]
    model = get_model_entry(name).build(seed)
    history = []
    for progress in train(model, recipe, train_split, validation, seed=seed):
        history.append(progress.as_dict())
        on_progress(progress)
    test = evaluate(model, data.test, raw_pixels=recipe.raw_pixels)
    return RunResult(name, recipe, model, history, test, time.perf_counter() - start, len(train_split))


def write(result: RunResult, data: Mnist, out_dir, label: str = "") -> Path:
    """Writes weights, history and figures of ``result`` into ``out_dir``; returns the weights path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = result.name
    epochs = result.history[-1]["epoch"] if result.history else 0
    weights = save_checkpoint(out / f"{stem}.safetensors", result.model, result.name, result.recipe,
                              test_accuracy=result.test.accuracy, epochs=round(epochs, 2),
                              wall_time_s=round(result.wall_time, 1), train_size=result.train_size)
    (out / f"{stem}_history.json").write_text(json.dumps(
        {"model": result.name, "recipe": dataclasses.asdict(result.recipe), "test_accuracy": result.test.accuracy,
         "wall_time_s": result.wall_time, "train_size": result.train_size, "history": result.history}, indent=1))
    title = f"{result.name} {label}: test accuracy {result.test.accuracy:.2%}"
    plots.save(plots.learning_curves({label or "run": result.history}, title), out / f"{stem}_curves.png")
    predicted = result.test.probabilities.argmax(1)
    plots.save(plots.misclassified_grid(data.test.images, data.test.labels, predicted, result.test.misclassified),
               out / f"{stem}_misclassified.png")
    plots.save(plots.confusion_matrix(result.test.confusion, title), out / f"{stem}_confusion.png")
    return weights
