""" "That does not look like a digit": the bundled judge, where it lives, and how it is trained (its figures
on inputs built apart from its training are in tests/test_battery.py and docs/battery.md)."""

from mnist_flax.inputs import drawn_digits, non_digits
from mnist_flax.novelty import load_judge


def test_the_bundled_judge_passes_digits_and_flags_what_it_was_trained_against(mnist):
    judge = load_judge()
    assert 0 < judge.threshold < 1
    assert judge.is_digit(mnist.test.images[:2000]).mean() >= 0.99  # MNIST itself
    assert judge.is_digit(drawn_digits(mnist.test.images[:300], seed=5)).mean() >= 0.98
    assert (~judge.is_digit(non_digits(mnist.test.images, 200, seed=9))).mean() >= 0.8
    scores = judge.score(mnist.test.images[:10])
    assert scores.shape == (10,) and ((0 <= scores) & (scores <= 1)).all()


def test_no_judge_file_means_no_verdict(tmp_path):
    assert load_judge(tmp_path / "judge.safetensors") is None
