import threading

import numpy as np
import pytest

from mnist_flax import Mnist, Recipe
from mnist_flax.data import random_split
from mnist_flax.jobs import Limits, TrainingJob, TrainSettings, hidden_units_sweep


@pytest.fixture(scope="module")
def small_data():
    return Mnist(train=random_split(12_000, 0), test=random_split(500, 1))


def job(small_data, limits=None, **changes):
    values = dict(
        model="mlp",
        recipe=Recipe(optimizer="adam", learning_rate=1e-3, batch_size=32),
        steps=200,
        train_size=1000,
        seed=0,
    )
    values.update(changes)
    return TrainingJob(TrainSettings(**values), small_data, limits or Limits())


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"steps": 0}, "steps must be between 1 and 5000"),
        ({"steps": 10**6}, "steps must be between"),
        ({"train_size": 10}, "training images must be between 500 and 2000"),
        ({"train_size": 10**6}, "training images must be between"),
        ({"recipe": Recipe(batch_size=4)}, "batch size must be between 8"),
        ({"recipe": Recipe(learning_rate=1e7)}, "learning rate must be between"),
        ({"model": "resnet"}, "unknown model"),
    ],
)
def test_settings_out_of_bounds_are_refused(small_data, changes, message):
    with pytest.raises(ValueError, match="(?i)" + message):
        job(small_data, **changes)


def test_every_problem_is_named_at_once(small_data):
    with pytest.raises(ValueError, match="Steps.*batch size"):
        job(small_data, steps=0, recipe=Recipe(batch_size=4))


def test_a_run_finishes_with_history_and_test_evaluation(small_data):
    j = job(small_data)
    updates = list(j.train(updates_per_run=8))
    assert j.status == "finished" and j.done and len(updates) >= 3
    assert j.history[-1]["step"] == 200 and j.run.evaluation.confusion.sum() == 500
    assert j.history[0]["step"] == 0 and j.history[0]["val_accuracy"] is not None  # curves start together
    assert j.history[-1]["val_accuracy"] is not None


def test_stop_and_wall_time_cap_keep_what_was_learned(small_data):
    j = job(small_data, steps=400)
    for update in j.train(updates_per_run=40):
        if len(update.history) == 3:  # step 0, then two records (50 steps each: the MLP's scan length)
            j.stop()
    assert j.status == "stopped" and j.history[-1]["step"] == 100 and j.run.evaluation is not None
    capped = job(small_data, limits=Limits(max_seconds=0.0), steps=400)
    list(capped.train(updates_per_run=40))
    assert capped.status == "timed out" and "limited to 0 s" in capped.message and capped.run.evaluation is not None


def test_divergence_is_explained(small_data):
    j = job(small_data, recipe=Recipe(optimizer="sgd", learning_rate=900.0, batch_size=32), steps=200)
    list(j.train())
    assert j.status == "diverged" and "smaller learning rate" in j.message and j.run.evaluation is None


def test_hidden_units_sweep_yields_one_point_per_width(small_data):
    stop = threading.Event()
    points = []
    for width, _ in hidden_units_sweep(small_data, widths=(8, 16, 32), steps=5, stop=stop):
        points.append(width)
        stop.set()
    assert points == [8]  # stops between widths
    finished = list(hidden_units_sweep(small_data, widths=(8, 16), steps=5))
    assert [w for w, _ in finished] == [8, 16] and all(0 <= a <= 1 for _, a in finished)


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_the_learning_rate_changes_during_a_run(small_data, schedule):
    """Set to 0 after the first record, the rate stops learning from the next steps on: the weights
    stay as they were at that record, and the history says where the rate changed."""
    j = job(
        small_data,
        limits=Limits(learning_rate=(0.0, 1e3)),
        steps=200,
        recipe=Recipe(optimizer="adam", learning_rate=1e-3, batch_size=32, schedule=schedule),
    )
    weights_at_change = None
    for update in j.train(updates_per_run=4):
        if len(update.history) == 2:  # step 0, then the first record
            j.set_learning_rate(0.0)
            weights_at_change = np.array(j.run.model.first_layer.kernel[...])
    rates = [h["learning_rate"] for h in j.history]
    assert rates[:2] == [1e-3, 1e-3] and set(rates[2:]) == {0.0} and j.status == "finished"
    np.testing.assert_array_equal(np.asarray(j.run.model.first_layer.kernel[...]), weights_at_change)
    with pytest.raises(ValueError, match="Learning rate must be between"):
        job(small_data).set_learning_rate(-1)


def test_a_run_in_a_process_of_its_own_streams_obeys_stop_and_a_new_rate_and_keeps_its_weights(tmp_path, mnist_dir):
    """What a ZeroGPU slice runs (``job_process``): the same face as a TrainingJob, driven through its control
    file from another process."""
    from mnist_flax import load_model
    from mnist_flax.job_process import RemoteJob

    settings = TrainSettings("mlp", Recipe(optimizer="adam", learning_rate=1e-3, batch_size=32), 3000, 2000, 0)
    job = RemoteJob(settings, available=50_000, limits=Limits())
    with pytest.raises(ValueError, match="Learning rate must be between"):
        job.set_learning_rate(1e9)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MNIST_DATA_DIR", str(mnist_dir))
        env.setenv("JAX_PLATFORMS", "cpu")  # the child inherits it: the same on a machine with a GPU
        for update in job.train():
            if len(update.history) == 3:
                job.set_learning_rate(0.02)
            if len(update.history) == 6:
                job.stop()
    assert job.device == "cpu" and job.status == "stopped" and job.first_layer.shape == (64, 28, 28)
    assert [h["learning_rate"] for h in job.history][-1] == 0.02 and job.history[0]["learning_rate"] == 1e-3
    path = job.save_weights(tmp_path / "mine.safetensors")
    assert load_model(path).test_accuracy == pytest.approx(job.evaluation.accuracy) and job.evaluation.accuracy > 0.5
