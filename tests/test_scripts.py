"""The scripts run end to end at tiny settings (benchmarks print figures; they are never timed here)."""
import json
import subprocess
import sys

from conftest import ROOT


def run_script(name, *args, **kw):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                            timeout=600, **kw)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_benchmark_tiny(tmp_path):
    out = run_script("benchmark.py", "--tiny", "--models", "mlp", "cnn", "--batch-sizes", "32",
                     "--json", str(tmp_path / "b.json"))
    figures = json.loads((tmp_path / "b.json").read_text())
    assert {r["model"] for r in figures["training"]} == {"mlp", "cnn"}
    assert all(r["ms_per_step"] > 0 and r["gflops"] > 0 for r in figures["training"])
    assert figures["matmul_gflops"] > 0 and figures["cold_start_s"][0] > 0
    assert any(r["model"] == "all five" for r in figures["prediction"])
    assert "Training" in out and "Prediction of one 28x28 image" in out


def test_benchmark_variants_tiny(tmp_path):
    run_script("benchmark.py", "--tiny", "--models", "cnn", "--batch-sizes", "64", "--variants",
               "--json", str(tmp_path / "b.json"))
    rows = json.loads((tmp_path / "b.json").read_text())["training"]
    assert {r["variant"] for r in rows} == {"default", "one step per call", "50 steps per lax.scan",
                                            "whole batch, no micro-batches", "order drawn by the host",
                                            "order drawn on the device", "YNNPACK convolutions (jaxlib default)",
                                            "XLA's own first convolution"}
    assert all(r["ms_per_step"] > 0 for r in rows)


def test_gpu_figures_updates_the_parts_it_runs(tmp_path):
    path = tmp_path / "gpu.json"
    path.write_text(json.dumps({"time_to_accuracy": {"command": "kept"}}))
    run_script("gpu_figures.py", "--tiny", "--parts", "training_step", "--json", str(path))
    figures = json.loads(path.read_text())
    assert figures["time_to_accuracy"] == {"command": "kept"}
    step = figures["training_step"]
    assert step["command"].startswith("python scripts/benchmark.py --tiny")
    assert step["measured"]["order"] == "host" and step["measured"]["jax"]  # the CPU draws on the host
    assert {r["model"] for r in step["figures"]["training"]} == {"mlp"}


def test_kernel_benchmark_small():
    out = run_script("kernel_benchmark.py", "--batch", "2")
    for line in ("| conv1 | forward, shifted sum |", "| conv4 | weight gradient |", "| cnn forward, batch 1 |",
                 "| mlp layer 1, forward + gradients | bfloat16 |"):
        assert line in out, out


def test_reproduce_report_from_saved_runs(tmp_path):
    history = {"model": "cnn", "recipe": {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 32,
                                          "augment": False, "raw_pixels": False},
               "test_accuracy": 0.9876, "wall_time_s": 12.0, "train_size": 50000,
               "history": [{"epoch": e, "loss": 1 / e, "accuracy": 0.9, "val_loss": 1 / e, "val_accuracy": 0.9}
                           for e in (1, 2)]}
    (tmp_path / "runs" / "tutorial").mkdir(parents=True)
    (tmp_path / "runs" / "tutorial" / "cnn_history.json").write_text(json.dumps(history))
    (tmp_path / "runs" / "tutorial" / "cnn_seeds.json").write_text(json.dumps({"0": 0.9876, "1": 0.9856}))
    out = run_script("reproduce.py", "--report-only", "--runs", str(tmp_path / "runs"), "--docs", str(tmp_path))
    assert ("| cnn | 217,194 | tutorial: sgd lr 0.01, batch 32 | 2 | 50000 | 12 | 98.76% | 98.66 ± 0.14% (2) "
            "| 98.76% | reproduced (+0.00 points) |") in out
    assert (tmp_path / "results.md").is_file() and (tmp_path / "curves_cnn.png").is_file()


def test_battery_script_writes_its_table(mnist_dir, tmp_path):
    out = run_script("battery.py", "--n", "6", "--families", "tight_crops", "non_digits", "--half", "tuning",
                     "--data-dir", str(mnist_dir), "--out", str(tmp_path / "battery.md"))
    table = (tmp_path / "battery.md").read_text()
    assert "python scripts/battery.py --half tuning --n 6" in table and "looked at while tuning" in table
    for row in ("| tight_crops | file | ", "| tight_crops | upload | ", "| non_digits | canvas | "):
        assert row in table and row in out
    assert "**detected" in table and "| family | door | cnn | " in table


def test_inside_scripts_print_their_tables(mnist_dir, tmp_path):
    out = run_script("counterfactuals.py", "--n", "5", "--models", "mlp", "cnn", "--data-dir", str(mnist_dir),
                     "--json", str(tmp_path / "c.json"))
    figures = json.loads((tmp_path / "c.json").read_text())["models"]
    assert set(figures) == {"mlp", "cnn"} and figures["cnn"]["cases"] == 45 and figures["cnn"]["success_rate"] > 0.5
    assert "| cnn |" in out
    out = run_script("saliency_comparison.py", "--n", "5", "--data-dir", str(mnist_dir))
    assert "| deep_cnn |" in out and "integrated_gradients deletion" in out
    out = run_script("view_latency.py", "--n", "3", "--data-dir", str(mnist_dir))
    assert "| Inside |" in out and "| Compare (all five models) |" in out
