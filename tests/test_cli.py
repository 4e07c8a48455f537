import json
import subprocess
import sys

from conftest import ROOT


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), *args],
                          capture_output=True, text=True, timeout=300, **kw)


def test_help_explains_every_option():
    out = run_cli("--help").stdout
    for option in ["--model", "--recipe", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed",
                   "--data-dir", "--out", "--train-size"]:
        assert option in out


def test_train_end_to_end_on_a_subset(tmp_path, mnist_dir):
    result = run_cli("--model", "mlp", "--recipe", "tutorial", "--epochs", "2", "--train-size", "2000",
                     "--optimizer", "adam", "--lr", "0.001", "--data-dir", str(mnist_dir), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"mlp.safetensors", "mlp_history.json", "mlp_curves.png", "mlp_misclassified.png",
                     "mlp_confusion.png"}
    history = json.loads((tmp_path / "mlp_history.json").read_text())
    assert history["recipe"]["optimizer"] == "adam" and history["train_size"] == 2000
    assert history["history"][-1]["epoch"] == 2 and history["test_accuracy"] > 0.85


def test_bad_data_dir_is_a_clear_error(tmp_path):
    result = run_cli("--model", "mlp", "--data-dir", str(tmp_path), "--out", str(tmp_path))
    assert result.returncode != 0 and "is missing" in result.stderr
