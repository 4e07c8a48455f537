"""The bundled weights, complete: each model's weights from its best recipe, with their test accuracy and
the temperature fitted on the validation split, and the not-a-digit judge with its threshold. ``make``
builds them in a staging folder, ``check`` says what any file lacks, and only a complete, checked set is
installed where the app and ``load_model`` find them.
"""

import os
import shutil
import tempfile
from pathlib import Path

from mnist_flax import novelty
from mnist_flax.calibration import calibrate_weights
from mnist_flax.checkpoints import CheckpointError, load_checkpoint
from mnist_flax.data import Mnist, Split
from mnist_flax.evaluation import evaluate
from mnist_flax.prediction import WEIGHTS_DIR
from mnist_flax.registry import MODELS
from mnist_flax.runs import Run

MODEL_PARTS = ("test_accuracy", "temperature")  # what a model's file holds beyond its arrays, name and recipe
JUDGE_PARTS = ("threshold",)
JUDGE_FILE = novelty.JUDGE_PATH.name


class BundleError(ValueError):
    """A bundle lacks a part, or its weights do not score what they record."""


def check(folder: str | Path = WEIGHTS_DIR, test: Split | None = None) -> list[str]:
    """What is wrong with the bundle in ``folder`` (nothing: an empty list): a file missing or unreadable, a
    model not trained with its best recipe, a part missing; with ``test``, a recorded test accuracy that the
    weights do not score."""
    folder, problems = Path(folder), []
    for name, entry in MODELS.items():
        path = folder / f"{name}.safetensors"
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as e:
            problems.append(str(e))
            continue
        if checkpoint.recipe != entry.best:
            problems.append(f"{path}: not trained with {name}'s best recipe")
        missing = [part for part in MODEL_PARTS if part not in checkpoint.metadata]
        if missing:
            problems.append(f"{path}: lacks {', '.join(missing)}")
        elif test is not None:
            scored = evaluate(checkpoint.model, test, raw_pixels=checkpoint.recipe.raw_pixels).accuracy
            if abs(scored - checkpoint.metadata["test_accuracy"]) > 0.0005:
                problems.append(
                    f"{path}: records test accuracy {checkpoint.metadata['test_accuracy']:.2%} but scores {scored:.2%}"
                )
    try:
        judge = load_checkpoint(folder / JUDGE_FILE)
        missing = [part for part in JUDGE_PARTS if part not in judge.metadata]
        if missing:
            problems.append(f"{folder / JUDGE_FILE}: lacks {', '.join(missing)}")
    except CheckpointError as e:
        problems.append(str(e))
    return problems


def make(
    data: Mnist,
    take_from: tuple = (),
    folder: str | Path = WEIGHTS_DIR,
    log=print,
    judge_views: int = 8000,
    judge_non_digits: int = 30000,
) -> Path:
    """Makes the bundle and installs it into ``folder``: each model's weights are taken from the first of
    the folders ``take_from`` that holds ``{name}.safetensors`` trained with its best recipe (runs of it,
    or the installed bundle), and trained with its best recipe otherwise; each gets its temperature, and
    the judge is trained. Nothing is installed unless ``check`` finds the whole set complete
    (``BundleError`` says what is wrong)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".bundle-") as staging:
        staging = Path(staging)
        for name, entry in MODELS.items():
            path = staging / f"{name}.safetensors"
            taken = next((found for found in (Path(f) / path.name for f in take_from) if _best_run(found, name)), None)
            if taken:
                shutil.copyfile(taken, path)
                log(f"{name}: taken from {taken}")
            else:
                log(f"{name}: training its best recipe, {entry.best}")
                Run(name, entry.best, data).complete().save_weights(path)
            log(f"{name}: temperature {calibrate_weights(path, data.validation):.3f}")
        log(f"the judge: training on {judge_views} digit views and {judge_non_digits} non-digits")
        judge = novelty.train_judge(data, judge_views, judge_non_digits, path=staging / JUDGE_FILE)
        log(f"the judge: threshold {judge.threshold:.3f}")
        problems = check(staging, data.test)
        if problems:
            raise BundleError("The bundle is not complete, nothing was installed:\n" + "\n".join(problems))
        for path in staging.glob("*.safetensors"):
            os.replace(path, folder / path.name)
    log(f"installed in {folder}")
    return folder


def _best_run(path: Path, name: str) -> bool:
    try:
        return load_checkpoint(path).recipe == MODELS[name].best
    except CheckpointError:
        return False
