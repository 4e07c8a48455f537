"""Small on-demand training runs, bounded and stoppable: what the app's Train tab runs.

A ``TrainingJob`` checks its settings against hard ``Limits`` (whatever a client
sends), drives one ``Run``, and yields itself after each chunk of steps so a caller
can redraw plots. It stops cleanly, keeping what it learned, when ``stop()`` is
called, when its wall-time cap is reached, or when the loss diverges (with an
explanation). The finished job's ``run`` holds the model, history and test evaluation.
"""

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from flax import nnx

from mnist_flax.data import Mnist
from mnist_flax.inside import first_layer_weights
from mnist_flax.models import MLP
from mnist_flax.recipe import Recipe
from mnist_flax.registry import get_model_entry
from mnist_flax.runs import Run
from mnist_flax.training import recipe_splits

VALIDATION_SIZE = 2000  # live validation points use a subset; the final test uses all 10,000


@dataclasses.dataclass(frozen=True)
class Limits:
    max_steps: int = 5000
    min_train_size: int = 500
    max_seconds: float = 180.0
    batch_size: tuple[int, int] = (8, 512)
    learning_rate: tuple[float, float] = (1e-6, 1e3)  # generous on purpose: divergence is a lesson too

    def learning_rate_problems(self, learning_rate: float) -> list[str]:
        low, high = self.learning_rate
        return (
            []
            if low <= learning_rate <= high
            else [f"learning rate must be between {low:g} and {high:g} (got {learning_rate:g})"]
        )

    def check_learning_rate(self, learning_rate: float) -> None:
        """ValueError unless ``learning_rate`` is within bounds."""
        problems = self.learning_rate_problems(learning_rate)
        if problems:
            raise ValueError(problems[0][0].upper() + problems[0][1:] + ".")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    model: str
    recipe: Recipe
    steps: int
    train_size: int
    seed: int = 0

    def check(self, limits: Limits, available: int) -> None:
        """Raises ValueError naming every setting out of bounds."""
        get_model_entry(self.model)
        problems = []
        if not 1 <= self.steps <= limits.max_steps:
            problems.append(f"steps must be between 1 and {limits.max_steps} (got {self.steps})")
        if not limits.min_train_size <= self.train_size <= available:
            problems.append(
                f"training images must be between {limits.min_train_size} and {available} (got {self.train_size})"
            )
        low, high = limits.batch_size
        if not low <= self.recipe.batch_size <= min(high, self.train_size):
            problems.append(
                f"batch size must be between {low} and {min(high, self.train_size)} (got {self.recipe.batch_size})"
            )
        problems += limits.learning_rate_problems(self.recipe.learning_rate)
        if problems:
            message = "; ".join(problems)
            raise ValueError(message[0].upper() + message[1:] + ".")


class JobProgress:
    """What a page shows of a run, from its ``status`` and ``history``: the face ``TrainingJob`` and
    ``job_process.RemoteJob`` share."""

    status: str  # queued | starting | running | finished | stopped | timed out | diverged | failed
    history: list[dict]

    @property
    def done(self) -> bool:
        return self.status not in ("queued", "starting", "running")

    @property
    def elapsed(self) -> float:
        return self.history[-1]["elapsed"] if self.history else 0.0

    @property
    def seconds_left(self) -> float:
        if not self.history:
            return float("nan")
        last = self.history[-1]
        return last["elapsed"] / max(last["step"], 1) * (last["total_steps"] - last["step"])


class TrainingJob(JobProgress):
    """One bounded, stoppable run in this process."""

    device = None  # this process's: the page names only a run's elsewhere

    def __init__(self, settings: TrainSettings, data: Mnist, limits: Limits = Limits()):
        settings.check(limits, len(recipe_splits(settings.recipe, data)[0]))
        self.settings, self.limits = settings, limits
        self.run = Run(
            settings.model,
            settings.recipe,
            data,
            seed=settings.seed,
            train_size=settings.train_size,
            validation_size=VALIDATION_SIZE,
            steps=settings.steps,
        )
        self.status = "queued"  # running | finished | stopped | timed out | diverged
        self.message = ""
        self.learning_rate = settings.recipe.learning_rate  # what the next steps use: see set_learning_rate
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def set_learning_rate(self, learning_rate: float) -> None:
        """Changes the rate from the next record's steps on (within ``Limits``, else ValueError); the
        history's ``learning_rate`` shows where."""
        self.limits.check_learning_rate(learning_rate)
        self.learning_rate = float(learning_rate)

    @property
    def history(self) -> list[dict]:
        return self.run.history

    @property
    def first_layer(self):
        """The first layer's weights as images (``inside.first_layer_weights``)."""
        return first_layer_weights(self.run.model)

    @property
    def evaluation(self):
        """The test results once trained (None before, or when the run diverged)."""
        return self.run.evaluation

    def save_weights(self, path) -> Path:
        return self.run.save_weights(path)

    def train(self, updates_per_run: int = 60) -> Iterator["TrainingJob"]:
        """Trains, yielding the job after every record and once more at the end (tested unless it diverged)."""
        steps = self.settings.steps
        self.status = "running"
        start = time.perf_counter()
        log_every = max(5, steps // updates_per_run)
        self.history.append(self._starting_point())
        stream = self.run.train(
            log_every=log_every, eval_every=max(log_every, steps // 10), learning_rate=lambda: self.learning_rate
        )
        try:
            for progress in stream:
                yield self
                if self._stop.is_set():
                    self.status, self.message = "stopped", f"Stopped at step {progress.step}."
                    break
                if time.perf_counter() - start > self.limits.max_seconds:
                    self.status = "timed out"
                    self.message = (
                        f"Stopped at step {progress.step}: runs are limited to {self.limits.max_seconds:.0f} s."
                    )
                    break
            else:
                self.status, self.message = "finished", f"Finished {steps} steps."
        except FloatingPointError as e:
            self.status, self.message = "diverged", f"Training diverged: {e}. Try a smaller learning rate."
        finally:
            stream.close()
        if self.status != "diverged":
            self.run.evaluate()
        yield self

    def _starting_point(self) -> dict:
        """Step 0: the untrained model on train and validation, so every curve starts together."""
        on_train = self.run.evaluate(self.run.train_split[:VALIDATION_SIZE])
        on_validation = self.run.evaluate(self.run.validation)
        return dict(
            step=0,
            total_steps=self.settings.steps,
            epoch=0.0,
            loss=on_train.loss,
            accuracy=on_train.accuracy,
            elapsed=0.0,
            images_per_sec=0.0,
            learning_rate=self.learning_rate,
            val_loss=on_validation.loss,
            val_accuracy=on_validation.accuracy,
        )


def hidden_units_sweep(
    data: Mnist,
    widths=(8, 16, 32, 64, 128, 256, 512),
    steps: int = 800,
    seed: int = 0,
    stop: threading.Event | None = None,
) -> Iterator[tuple[int, float]]:
    """The tutorials' experiment: test accuracy of a one-hidden-layer relu MLP against its width."""
    recipe = Recipe(optimizer="adam", learning_rate=1e-3, batch_size=128, split="all")
    for width in widths:
        if stop is not None and stop.is_set():
            return
        run = Run(
            f"mlp with {width} hidden units",
            recipe,
            data,
            seed=seed,
            steps=steps,
            validation_size=0,
            model=MLP([width], nnx.relu, rngs=nnx.Rngs(seed)),
        )
        yield width, run.complete(log_every=steps).evaluation.accuracy
