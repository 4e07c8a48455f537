"""How to train, and every name a recipe may use: the one place that knows them.

A ``Recipe`` is checked when it is made, so a bad optimiser, schedule or split name
(from a command line, the app or a weights file) fails at once with the allowed values,
not deep inside a compiled training step.
"""

import dataclasses
import numbers

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "cosine")  # cosine: linear warm-up, then cosine decay to 0
SPLITS = ("tutorial", "all", "third")  # see training.recipe_splits
RECIPE_NAMES = ("tutorial", "best")  # each registry model has both


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Optimiser, schedule, data split and preprocessing of a training run."""

    optimizer: str = "sgd"
    learning_rate: float = 0.01
    batch_size: int = 32
    epochs: int = 30
    schedule: str = "constant"
    weight_decay: float = 0.0  # adamw only
    label_smoothing: float = 0.0
    augment: bool = False  # random affine transforms and stroke widths, inside the step
    split: str = "tutorial"  # tutorial: 50k/10k | all: 60k, test as validation | third: 14k/6k
    raw_pixels: bool = False  # feed 0..255 instead of 0..1 (the vanilla tutorial's mistake)

    def __post_init__(self):
        problems = [
            f"{field} must be one of {', '.join(allowed)} (got {getattr(self, field)!r})"
            for field, allowed in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("split", SPLITS))
            if getattr(self, field) not in allowed
        ]
        for field, low, high in (
            ("learning_rate", 0.0, float("inf")),
            ("weight_decay", 0.0, float("inf")),
            ("label_smoothing", 0.0, 0.999),
        ):
            value = getattr(self, field)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not low <= value <= high:
                problems.append(f"{field} must be a number from {low:g} to {high:g} (got {value!r})")
        for field in ("batch_size", "epochs"):
            value = getattr(self, field)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                problems.append(f"{field} must be a whole number of at least 1 (got {value!r})")
        for field in ("augment", "raw_pixels"):
            if not isinstance(getattr(self, field), bool):
                problems.append(f"{field} must be True or False (got {getattr(self, field)!r})")
        if problems:
            raise ValueError("Bad recipe: " + "; ".join(problems) + ".")

    def replace(self, **changes) -> "Recipe":
        """A copy with the given fields changed; ``None`` values leave a field as it is."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
