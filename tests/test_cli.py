import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT


def run_cli(*args, **kw):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *args], capture_output=True, text=True, timeout=300, **kw
    )


def test_help_explains_every_option():
    out = run_cli("--help").stdout
    for option in [
        "--model",
        "--recipe",
        "--epochs",
        "--batch-size",
        "--lr",
        "--optimizer",
        "--seed",
        "--data-dir",
        "--out",
        "--train-size",
        "--order",
    ]:
        assert option in out


def test_train_end_to_end_on_a_subset(tmp_path, mnist_dir):
    result = run_cli(
        *"--model mlp --recipe tutorial --epochs 2 --train-size 2000 --optimizer adam --lr 0.001".split(),
        *("--data-dir", str(mnist_dir), "--out", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "mlp.safetensors",
        "mlp_history.json",
        "mlp_curves.png",
        "mlp_misclassified.png",
        "mlp_confusion.png",
    }
    history = json.loads((tmp_path / "mlp_history.json").read_text())
    assert history["recipe"]["optimizer"] == "adam" and history["train_size"] == 2000
    assert history["history"][-1]["epoch"] == 2 and history["test_accuracy"] > 0.85


def test_bad_data_dir_is_a_clear_error(tmp_path):
    result = run_cli("--model", "mlp", "--data-dir", str(tmp_path), "--out", str(tmp_path))
    assert result.returncode != 0 and "is missing" in result.stderr


@pytest.mark.parametrize("order", ["host", "device"])  # the CPU's default order, and the GPUs'
def test_two_processes_train_like_one(tmp_path, mnist_dir, order):
    """Two processes joined by jax.distributed on localhost (CPU collectives), each feeding half of every
    batch, end with the parameters of one process given the same global batches; only the first writes."""
    import socket

    import numpy as np
    import safetensors.numpy

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    common = "--model cnn --recipe tutorial --epochs 1 --train-size 640 --batch-size 64 --optimizer adam --lr 0.001"
    common = [*common.split(), "--data-dir", str(mnist_dir), "--order", order]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}

    def train(*args, out):
        return subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "train.py"), *common, "--out", str(tmp_path / out), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    joined = ("--coordinator-address", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id")
    processes = [train(*joined, str(i), out=f"process{i}") for i in (0, 1)] + [train(out="single")]  # side by side
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert "2 process(es), this one number 1" in outputs[1] and "the first process writes" in outputs[1]
    assert not (tmp_path / "process1").exists()
    two = safetensors.numpy.load_file(str(tmp_path / "process0" / "cnn.safetensors"))
    one = safetensors.numpy.load_file(str(tmp_path / "single" / "cnn.safetensors"))
    assert two.keys() == one.keys()
    for key in one:  # 10 Adam steps; the two processes sum gradients in another order, rounding only
        np.testing.assert_allclose(two[key], one[key], rtol=1e-4, atol=1e-5)
    accuracies = [float(re.search(r"test accuracy ([\d.]+)", out).group(1)) for out in (outputs[0], outputs[2])]
    assert accuracies[0] == accuracies[1] and accuracies[0] > 0.5  # it learned, the same in both
