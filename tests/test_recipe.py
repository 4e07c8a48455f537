"""A Recipe is checked when it is made: a bad field fails at once, naming the field and the allowed values."""

import pytest

from mnist_flax import MODELS, Recipe, load_checkpoint, save_checkpoint
from mnist_flax.recipe import OPTIMIZERS, RECIPE_NAMES, SCHEDULES, SPLITS


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum, rmsprop, adam, adamw (got 'lbfgs')"),
        ({"schedule": "linear"}, "schedule must be one of constant, cosine"),
        ({"split": "half"}, "split must be one of tutorial, all, third"),
        ({"learning_rate": -0.1}, "learning_rate must be a number from 0"),
        ({"learning_rate": "fast"}, "learning_rate must be a number"),
        ({"batch_size": 0}, "batch_size must be a whole number of at least 1"),
        ({"batch_size": 32.5}, "batch_size must be a whole number"),
        ({"epochs": -1}, "epochs must be a whole number"),
        ({"label_smoothing": 1.0}, "label_smoothing must be a number from 0 to 0.999"),
        ({"weight_decay": -1e-4}, "weight_decay must be a number from 0"),
        ({"augment": "yes"}, "augment must be True or False"),
    ],
)
def test_a_bad_field_is_named_with_what_is_allowed(changes, message):
    with pytest.raises(ValueError, match="Bad recipe: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        Recipe(**changes)
    with pytest.raises(ValueError, match="Bad recipe"):
        Recipe().replace(**changes)


def test_every_problem_is_named_at_once():
    with pytest.raises(ValueError, match="optimizer.*split.*batch_size"):
        Recipe(optimizer="x", split="y", batch_size=0)


def test_the_names_live_in_one_place():
    assert OPTIMIZERS == ("sgd", "momentum", "rmsprop", "adam", "adamw")
    assert SCHEDULES == ("constant", "cosine") and SPLITS == ("tutorial", "all", "third")
    for entry in MODELS.values():
        for name in RECIPE_NAMES:
            recipe = entry.recipe(name)
            assert (recipe.optimizer, recipe.schedule, recipe.split) in [
                (o, s, p) for o in OPTIMIZERS for s in SCHEDULES for p in SPLITS
            ]


def test_replace_changes_only_what_is_given():
    best = MODELS["cnn"].best
    changed = best.replace(learning_rate=0.1, optimizer=None)
    assert changed.learning_rate == 0.1 and changed.optimizer == best.optimizer
    assert changed.replace(learning_rate=best.learning_rate) == best


def test_a_weights_file_with_a_bad_recipe_is_refused(tmp_path):
    import json

    import safetensors.numpy

    path = save_checkpoint(tmp_path / "m.safetensors", MODELS["mlp"].build(0), "mlp", MODELS["mlp"].best)
    arrays = safetensors.numpy.load_file(str(path))
    with safetensors.safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
    meta["recipe"] = json.dumps({**MODELS["mlp"].best.as_dict(), "optimizer": "lbfgs"})
    safetensors.numpy.save_file(arrays, str(path), metadata=meta)
    with pytest.raises(ValueError, match="bad metadata.*optimizer must be one of"):
        load_checkpoint(path)
