"""Visitors' corrections: stored as the page says, read back, reported, exported and trained on."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from mnist_flax import feedback
from mnist_flax.data import read_idx_split


def save(folder, label, digit, photo=None):
    return feedback.save_correction(
        folder,
        np.full((40, 30), 200, np.uint8),
        digit,
        label,
        {"cnn": np.eye(10)[label % 10], "mlp": np.eye(10)[(label + 1) % 10]},
        photo,
    )


def test_a_correction_keeps_the_drawing_the_digit_the_label_and_every_answer(tmp_path, mnist):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg bytes")
    entry = save(tmp_path / "fb", 7, mnist.test.images[0], photo)
    assert {p.name for p in entry.iterdir()} == {"original.png", "digit.png", "photo.jpg", "record.json"}
    record = json.loads((entry / "record.json").read_text())
    assert (
        record["label"] == 7 and record["answers"] == {"cnn": 7, "mlp": 8} and len(record["probabilities"]["cnn"]) == 10
    )
    split, records = feedback.load_corrections(tmp_path / "fb")
    np.testing.assert_array_equal(split.images[0], mnist.test.images[0])
    assert list(split.labels) == [7] and records == [record]


def test_bad_corrections_are_refused_and_damaged_ones_skipped(tmp_path, mnist):
    with pytest.raises(ValueError, match="0 to 9"):
        save(tmp_path, 10, mnist.test.images[0])
    with pytest.raises(ValueError, match="28x28"):
        save(tmp_path, 3, np.zeros((10, 10), np.uint8))
    save(tmp_path, 3, mnist.test.images[1])
    (tmp_path / "half-written").mkdir()
    (tmp_path / "half-written" / "record.json").write_text("{")
    assert len(feedback.load_corrections(tmp_path)[1]) == 1
    assert len(feedback.load_corrections(tmp_path / "none")[0]) == 0


def test_hub_sync_only_when_a_dataset_is_configured(monkeypatch, tmp_path):
    monkeypatch.delenv(feedback.DATASET_ENV, raising=False)
    assert feedback.hub_sync(tmp_path) is None
    import huggingface_hub

    made = {}
    monkeypatch.setattr(huggingface_hub, "CommitScheduler", lambda **kw: made.update(kw) or "scheduler")
    monkeypatch.setenv(feedback.DATASET_ENV, "someone/mnist-corrections")
    assert feedback.hub_sync(tmp_path) == "scheduler"
    assert made["repo_id"] == "someone/mnist-corrections" and made["repo_type"] == "dataset"
    assert made["folder_path"] == tmp_path


def test_report_export_and_fine_tune(tmp_path, mnist, mnist_dir):
    folder = tmp_path / "fb"
    for i in range(6):
        save(folder, int(mnist.test.labels[i]), mnist.test.images[i])
    script = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "feedback.py"),
            "--dir",
            str(folder),
            "--export",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert script.returncode == 0, script.stderr
    assert "6 corrections" in script.stdout and "| cnn | 100.0% of 6 | 100.0% |" in script.stdout
    exported = read_idx_split(tmp_path / "out", "feedback")
    np.testing.assert_array_equal(exported.images, mnist.test.images[:6])
    np.testing.assert_array_equal(exported.labels, mnist.test.labels[:6])
    train = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "train.py"),
            *"--model vanilla_mlp --init vanilla_mlp --epochs 1 --train-size 500".split(),
            *("--extra-train", str(tmp_path / "out"), "--data-dir", str(mnist_dir), "--out", str(tmp_path / "run")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert train.returncode == 0, train.stderr
    history = json.loads((tmp_path / "run" / "vanilla_mlp_history.json").read_text())
    assert history["train_size"] == 506 and history["test_accuracy"] > 0.9  # started from the bundled weights
    empty = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "feedback.py"), "--dir", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert empty.returncode != 0 and "No corrections" in empty.stderr
