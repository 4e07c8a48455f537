""""That does not look like a digit": the bundled judge, where it lives, and how it is trained (its figures
on inputs built apart from its training are in tests/test_battery.py and docs/battery.md)."""
import numpy as np

from mnist_flax import novelty
from mnist_flax.inputs import drawn_digits
from mnist_flax.novelty import load_judge


def test_the_bundled_judge_passes_digits_and_flags_what_it_was_trained_against(mnist):
    judge = load_judge()
    assert 0 < judge.threshold < 1
    assert judge.is_digit(mnist.test.images[:2000]).mean() >= 0.99  # MNIST itself
    assert judge.is_digit(drawn_digits(mnist.test.images[:300], seed=5)).mean() >= 0.98
    assert (~judge.is_digit(novelty.non_digits.drawings(mnist.test.images, 200, seed=9))).mean() >= 0.8
    scores = judge.score(mnist.test.images[:10])
    assert scores.shape == (10,) and ((0 <= scores) & (scores <= 1)).all()


def test_no_judge_file_means_no_verdict(tmp_path):
    assert load_judge(tmp_path / "judge.safetensors") is None


def test_training_a_judge_writes_one_that_loads(mnist, tmp_path, monkeypatch):
    """A short run (the real one: python scripts/not_a_digit.py) still learns which is which."""
    monkeypatch.setattr(novelty, "RECIPE", novelty.RECIPE.replace(epochs=4))
    small = type(mnist)(mnist.train[:16000], mnist.test)
    judge = novelty.train_judge(small, views=200, n_non_digits=3000, path=tmp_path / "judge.safetensors")
    again = load_judge(tmp_path / "judge.safetensors")
    assert again.threshold == judge.threshold
    flagged = ~again.is_digit(novelty.non_digits.drawings(mnist.test.images, 100, seed=4))
    assert flagged.mean() >= 0.5 and again.is_digit(mnist.test.images[:500]).mean() >= 0.95
