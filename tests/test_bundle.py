"""The bundled weights are complete (every model from its best recipe, with its test accuracy and
temperature, and the judge with its threshold), score what they record, and ``bundle.make`` makes
such a set and installs nothing less."""

import dataclasses
import shutil

import pytest

from mnist_flax import MODELS, bundle, load_model, novelty
from mnist_flax.checkpoints import load_checkpoint
from mnist_flax.inputs import non_digits
from mnist_flax.novelty import load_judge
from mnist_flax.prediction import WEIGHTS_DIR


def test_the_installed_bundle_is_complete_and_scores_what_it_records(mnist):
    assert bundle.check(WEIGHTS_DIR, mnist.test) == []
    predictor = load_model("cnn")
    assert (predictor.predict(mnist.test.images).argmax(1) == mnist.test.labels).mean() == pytest.approx(
        predictor.test_accuracy, abs=0.0005
    )


@pytest.fixture
def copy_of_the_bundle(tmp_path):
    for path in WEIGHTS_DIR.glob("*.safetensors"):
        shutil.copyfile(path, tmp_path / path.name)
    return tmp_path


def test_check_names_every_missing_part(copy_of_the_bundle):
    folder = copy_of_the_bundle
    cnn = load_checkpoint(folder / "cnn.safetensors")
    cnn.metadata.pop("temperature")
    cnn.save()
    judge = load_checkpoint(folder / "judge.safetensors")
    judge.metadata.pop("threshold")
    judge.save()
    (folder / "mlp.safetensors").unlink()
    shallow = load_checkpoint(folder / "shallow_mlp.safetensors")
    dataclasses.replace(shallow, recipe=MODELS["shallow_mlp"].tutorial).save()
    problems = "\n".join(bundle.check(folder))
    assert "cnn.safetensors: lacks temperature" in problems
    assert "judge.safetensors: lacks threshold" in problems
    assert "mlp.safetensors: no such weights file" in problems
    assert "shallow_mlp.safetensors: not trained with shallow_mlp's best recipe" in problems
    assert len(bundle.check(folder)) == 4


def test_make_fits_every_part_checks_and_installs(mnist, copy_of_the_bundle, tmp_path, monkeypatch):
    """Taking the five models from a folder (a short judge run: the real one trains for minutes)."""
    taken = copy_of_the_bundle
    for name in MODELS:  # what make must fit again
        checkpoint = load_checkpoint(taken / f"{name}.safetensors")
        checkpoint.metadata.pop("temperature")
        checkpoint.save()
    monkeypatch.setattr(novelty, "RECIPE", novelty.RECIPE.replace(epochs=4))
    small = type(mnist)(mnist.train[:16000], mnist.test)
    said = []
    installed = bundle.make(
        small,
        take_from=(tmp_path / "nothing here", taken),
        folder=tmp_path / "weights",
        log=said.append,
        judge_views=40,
        judge_non_digits=3000,
    )
    assert [line for line in said if "taken from" in line] == [
        f"{name}: taken from {taken / name}.safetensors" for name in MODELS
    ]  # none trained
    assert bundle.check(installed) == [] and sorted(p.name for p in installed.iterdir()) == sorted(
        [f"{name}.safetensors" for name in MODELS] + ["judge.safetensors"]
    )
    judge = load_judge(installed / "judge.safetensors")
    flagged = ~judge.is_digit(non_digits(mnist.test.images, 100, seed=4))
    assert flagged.mean() >= 0.5 and judge.is_digit(mnist.test.images[:500]).mean() >= 0.95


def test_make_installs_nothing_when_a_part_is_wrong(mnist, copy_of_the_bundle, tmp_path, monkeypatch):
    taken = copy_of_the_bundle
    cnn = load_checkpoint(taken / "cnn.safetensors")
    cnn.save(test_accuracy=0.5)  # a record its weights do not score
    monkeypatch.setattr(
        novelty,
        "train_judge",
        lambda data, views, n, path: load_judge(shutil.copyfile(WEIGHTS_DIR / "judge.safetensors", path)),
    )
    installed = tmp_path / "weights"
    installed.mkdir()
    (installed / "cnn.safetensors").write_bytes(b"the bundle before")
    with pytest.raises(bundle.BundleError, match="records test accuracy 50.00%"):
        bundle.make(mnist, take_from=(taken,), folder=installed, log=lambda line: None)
    assert [p.name for p in installed.iterdir()] == ["cnn.safetensors"]  # nothing installed, no staging left
    assert (installed / "cnn.safetensors").read_bytes() == b"the bundle before"
