"""Every ``python -m bench`` subcommand runs end to end at its tiniest settings and writes its section (figures
are printed, never timed here), and ``write_section`` keeps the rest of a page."""

import contextlib
import io
import json
import subprocess
import sys

import pytest
from conftest import ROOT

from bench.__main__ import SUBCOMMANDS
from bench.__main__ import main as bench_main
from bench.harness import write_section


@pytest.fixture(scope="module", autouse=True)
def compilation_cache(tmp_path_factory):
    """One JAX compilation cache for every subcommand run here: these tests read what is printed, never how fast."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path_factory.mktemp("jax_cache")))
        env.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        yield


def bench(name, tmp_path, *args):
    """``python -m bench NAME ARGS --docs TMP``, in this process (the interpreter, JAX and the models are
    loaded once for every subcommand); returns what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        bench_main([name, *map(str, args), "--docs", str(tmp_path)])
    return printed.getvalue()


def test_the_command_line_lists_every_subcommand():
    result = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert all(module.__name__.rsplit(".", 1)[1] in result.stdout for module in SUBCOMMANDS)


def section(tmp_path, page, name) -> str:
    """What lies between the section's markers, the opening one included."""
    text = (tmp_path / page).read_text()
    start, end = text.index(f"<!-- bench {name}: python -m bench {name}"), text.index(f"<!-- /bench {name} -->")
    return text[start:end]


def test_write_section_replaces_between_markers_and_appends_when_absent(tmp_path):
    page = tmp_path / "speed.md"
    page.write_text(
        "# Speed\n\nProse.\n\n<!-- bench kernels: python -m bench kernels -->\nold\n"
        "<!-- /bench kernels -->\n\nMore prose.\n"
    )
    write_section(page, "kernels", "python -m bench kernels --batch 2", "| a |\n|---|\n| 1 |")
    write_section(page, "training", "python -m bench training", "new section")
    assert page.read_text() == (
        "# Speed\n\nProse.\n\n<!-- bench kernels: python -m bench kernels --batch 2 -->\n"
        "| a |\n|---|\n| 1 |\n<!-- /bench kernels -->\n\nMore prose.\n\n"
        "<!-- bench training: python -m bench training -->\nnew section\n"
        "<!-- /bench training -->\n"
    )
    write_section(tmp_path / "new.md", "gpu", "python -m bench gpu", "x")
    assert (tmp_path / "new.md").read_text() == (
        "# New\n\n<!-- bench gpu: python -m bench gpu -->\nx\n<!-- /bench gpu -->\n"
    )


def test_training_tiny(tmp_path):
    out = bench("training", tmp_path, "--tiny", "--models", "cnn", "--batch-sizes", 64, "--variants")
    figures = json.loads((tmp_path / "bench" / "training.json").read_text())
    rows = figures["training"]
    assert {r["model"] for r in rows} == {"cnn"}
    assert all(r["ms_per_step"] > 0 and r["gflops"] > 0 for r in rows)
    assert {r["variant"] for r in rows} == {
        "default",
        "one step per call",
        "50 steps per lax.scan",
        "whole batch, no micro-batches",
        "order drawn by the host",
        "order drawn on the device",
        "YNNPACK convolutions (jaxlib default)",
        "XLA's own first convolution",
    }
    assert figures["matmul_gflops"] > 0 and figures["cold_start_s"][0] > 0
    assert any(r["model"] == "all five" for r in figures["prediction"])
    written = section(tmp_path, "speed.md", "training")
    assert "python -m bench training --tiny" in written and "Machine: " in written
    for text in (
        "Training, epochs of 50,000 images",
        "| cnn | 50 steps per lax.scan | 64 |",
        "Prediction of one 28x28 image",
        "| all five |",
    ):
        assert text in out and text in written, text


def test_kernels_small(tmp_path):
    out = bench("kernels", tmp_path, "--batch", 2, "--repeats", 5)
    for line in (
        "| conv1 | forward, shifted sum |",
        "| conv4 | weight gradient |",
        "| cnn forward, batch 1 |",
        "| mlp layer 1, forward + gradients | bfloat16 |",
    ):
        assert line in out and line in section(tmp_path, "speed.md", "kernels"), line


def test_peers_tiny(tmp_path):
    """Without Keras and PyTorch in --peer-python, their cells say so; ours is measured."""
    out = bench("peers", tmp_path, "--tiny", "--models", "mlp", "--batch-sizes", 32)
    assert "| model | batch | mnist_flax s/epoch | Keras/TF s/epoch | ratio | PyTorch s/epoch | ratio |" in out
    assert "| mlp | 32 | " in section(tmp_path, "speed.md", "peers")


def test_time_to_accuracy_tiny(mnist_dir, tmp_path):
    out = bench(
        "time_to_accuracy", tmp_path, "--models", "mlp", "--steps", 20, "--check-every", 10, "--data-dir", mnist_dir
    )
    assert "| mlp (batch 64) | 97% | " in out and "| 20 |" in section(tmp_path, "speed.md", "time_to_accuracy")


def test_gpu_updates_the_parts_it_runs(tmp_path):
    kept = {
        "command": "python -m bench time_to_accuracy --target 0.99",
        "measured": {"device": "kept device", "jax": "0", "flax": "0", "date": "2026-01-01", "order": "device"},
        "target_0.99": {
            "rows": [
                {
                    "model": "cnn",
                    "recipe": "adam",
                    "target": 0.99,
                    "training_s": 0.23,
                    "checks_s": 0.6,
                    "compilation_s": 8.5,
                    "steps": 1000,
                    "test_accuracy": 0.9904,
                    "images_per_s": 560179,
                    "gflops": 739.1,
                    "matmul_fraction": 0.004,
                }
            ]
        },
    }
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "gpu.json").write_text(json.dumps({"time_to_accuracy": kept}))
    bench("gpu", tmp_path, "--tiny", "--parts", "training_step")
    figures = json.loads((tmp_path / "bench" / "gpu.json").read_text())
    assert figures["time_to_accuracy"] == kept
    step = figures["training_step"]
    assert step["command"].startswith("python -m bench training --tiny")
    assert step["measured"]["order"] == "host" and step["measured"]["jax"]  # the CPU draws on the host
    assert {r["model"] for r in step["figures"]["training"]} == {"mlp"}
    written = section(tmp_path, "speed.md", "gpu")
    assert "| cnn | adam | 99.0% | 0.23 |" in written and "kept device" in written and "| mlp, 32 | " in written


@pytest.fixture(scope="module")
def running(app):
    """(pid, url) of the tests' app, which classroom and uploads measure through --pid and --url."""
    return app[0].pid, app[1]


def test_classroom_short_load(running, tmp_path):
    """A few seconds of load on 127.0.0.1: the app answers every stroke and API call, with and without training,
    and says what the classroom costs the training run."""
    out = bench(
        "classroom",
        tmp_path,
        "--n",
        2,
        "--visitors",
        2,
        "--seconds",
        1,
        "--no-browser",
        "--train-steps",
        400,
        "--pid",
        running[0],
        "--url",
        running[1],
    )
    written = section(tmp_path, "serving.md", "classroom")
    for row in (
        "| bare Gradio app: the canvas's event (the floor of a stroke) | ",
        "| bare Gradio app: an image file (the floor of an API call) | ",
        "| this app: the send at the stroke's end (`draw`: the Answer view in full) | ",
        "| this app: `predict` with an image file (API users) | ",
        "| strokes, nothing else runs | 2 of 2 | 0 | ",
        "| strokes, while a cnn trains | 2 of 2 | 0 | ",
        "| API predict, nothing else runs | 2 of 2 | 0 | ",
        "| API predict, while a cnn trains | 2 of 2 | 0 | ",
        "The training run (cnn, batch 256), images/s: alone ",
    ):
        assert row in out and row in written, row


def test_wakeup_tiny(tmp_path, mnist_dir, monkeypatch):
    """The app started as a user starts it answers a drawing and an example, and says when every view is compiled."""
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    out = bench("wakeup", tmp_path, "--tiny")
    written = section(tmp_path, "serving.md", "wakeup")
    row = "| this machine's caches as they are | "
    assert row in out and row in written
    assert "Importing the app's modules: not timed (--tiny)." in written


def test_uploads_tiny(running, tmp_path):
    bench("uploads", tmp_path, "--tiny", "--pid", running[0], "--url", running[1])
    written = section(tmp_path, "serving.md", "uploads")
    assert "| 1 x 7000x7000 PNG | refused: " in written and "| 1 x 4096x4096 RGBA PNG | {'label': '1'" in written
    assert "A normal prediction right after: 7 in " in written


def test_views_tiny(mnist_dir, tmp_path):
    out = bench("views", tmp_path, "--n", 3, "--data-dir", mnist_dir)
    assert "| Inside |" in out and "| Compare (all five models) |" in section(tmp_path, "serving.md", "views")


def test_battery_writes_the_page_body(mnist_dir, tmp_path):
    out = bench(
        "battery",
        tmp_path,
        "--n",
        6,
        "--families",
        "tight_crops",
        "non_digits",
        "--half",
        "tuning",
        "--data-dir",
        mnist_dir,
    )
    written = section(tmp_path, "battery.md", "battery")
    assert "python -m bench battery --n 6 --families tight_crops non_digits --half tuning" in written
    assert "looked at while tuning" in written
    for row in ("| tight_crops | file | ", "| tight_crops | upload | ", "| non_digits | canvas | "):
        assert row in written and row in out
    assert "**detected" in written and "| family | door | cnn | " in written


def test_saliency_tiny(mnist_dir, tmp_path):
    out = bench("saliency", tmp_path, "--n", 5, "--data-dir", mnist_dir)
    assert "| deep_cnn |" in out and "integrated_gradients deletion" in section(tmp_path, "inside.md", "saliency")


def test_counterfactuals_tiny(mnist_dir, tmp_path):
    out = bench("counterfactuals", tmp_path, "--n", 5, "--models", "mlp", "cnn", "--data-dir", mnist_dir)
    figures = json.loads((tmp_path / "bench" / "counterfactuals.json").read_text())["models"]
    assert set(figures) == {"mlp", "cnn"} and figures["cnn"]["cases"] == 45 and figures["cnn"]["success_rate"] > 0.5
    assert "| cnn |" in out and "| cnn |" in section(tmp_path, "inside.md", "counterfactuals")


def test_calibration_tiny(mnist_dir, tmp_path):
    out = bench("calibration", tmp_path, "--n", 500, "--data-dir", mnist_dir)
    figures = json.loads((tmp_path / "bench" / "calibration.json").read_text())
    assert "cnn" in figures and all(0 < f["temperature"] and 0 <= f["ece_after"] < 1 for f in figures.values())
    assert "| cnn | " in out and "500 test digits" in section(tmp_path, "accuracy.md", "calibration")


def test_augmentation_tiny(mnist_dir, tmp_path):
    out = bench("augmentation", tmp_path, "--model", "mlp", "--steps", 20, "--drawings", 50, "--data-dir", mnist_dir)
    for row in ("| mlp, 20 steps, without augmentation |", "| mlp, 20 steps, with augmentation |"):
        assert row in out and row in section(tmp_path, "accuracy.md", "augmentation")


def test_results_from_saved_runs(tmp_path):
    history = {
        "model": "cnn",
        "recipe": {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 32, "augment": False, "raw_pixels": False},
        "test_accuracy": 0.9876,
        "wall_time_s": 12.0,
        "train_size": 50000,
        "history": [
            {"epoch": e, "loss": 1 / e, "accuracy": 0.9, "val_loss": 1 / e, "val_accuracy": 0.9} for e in (1, 2)
        ],
    }
    (tmp_path / "runs" / "tutorial").mkdir(parents=True)
    (tmp_path / "runs" / "tutorial" / "cnn_history.json").write_text(json.dumps(history))
    (tmp_path / "runs" / "tutorial" / "cnn_seeds.json").write_text(json.dumps({"0": 0.9876, "1": 0.9856}))
    out = bench("results", tmp_path, "--runs", tmp_path / "runs")
    row = (
        "| cnn | 217,194 | tutorial: sgd lr 0.01, batch 32 | 2 | 50000 | 12 | 98.76% | 98.66 ± 0.14% (2) | 98.76% "
        "| reproduced (+0.00 points) |"
    )
    assert row in out and row in section(tmp_path, "accuracy.md", "results")
    assert (tmp_path / "curves_cnn.png").is_file()
