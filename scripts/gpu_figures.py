"""Every figure of the README's GPU section in one command, written to docs/benchmark_gpu.json.

    python scripts/gpu_figures.py                                  # every part
    python scripts/gpu_figures.py --parts time_to_accuracy         # some parts; the file keeps the others

Parts (each runs its script in a fresh process, as a user would, and is stored with that command):
  time_to_accuracy        scripts/time_to_accuracy.py --target 0.99, then --target 0.994 --models deep_cnn
  training_step           scripts/benchmark.py --batch-sizes 128 512 --variants --windows 3
  reproduce_best_5_seeds  scripts/reproduce.py --recipes best --seeds 5 (wall time, every seed's test accuracy,
                          and the report's table; its runs and report go to a temporary folder)
Each part also names the device, jax, flax, the date and who drew the training order. --tiny runs only the
smoke settings of the benchmark (the tests use it, on CPU).
"""
import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import flax
import jax

from mnist_flax.training import default_shuffle_on_device

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> float:
    """Runs ``scripts/{script}`` with ``args``, its output shown; returns its wall time in seconds."""
    print(f"\n$ python scripts/{script} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], check=True, cwd=ROOT)
    return time.perf_counter() - start


def command(script: str, *args: str) -> str:
    return " ".join(["python", f"scripts/{script}", *args])


def time_to_accuracy(tmp: Path, tiny: bool) -> dict:
    runs = {"0.99": ("--target", "0.99"), "0.994": ("--target", "0.994", "--models", "deep_cnn")}
    part = {"command": "; ".join(command("time_to_accuracy.py", *args) for args in runs.values())}
    for target, args in runs.items():
        run("time_to_accuracy.py", *args, "--json", str(tmp / f"tta_{target}.json"))
        part[f"target_{target}"] = json.loads((tmp / f"tta_{target}.json").read_text())
    return part


def training_step(tmp: Path, tiny: bool) -> dict:
    args = ("--tiny", "--models", "mlp", "--batch-sizes", "32") if tiny else (
        "--batch-sizes", "128", "512", "--variants", "--windows", "3")
    run("benchmark.py", *args, "--json", str(tmp / "benchmark.json"))
    return {"command": command("benchmark.py", *args), "figures": json.loads((tmp / "benchmark.json").read_text())}


def reproduce_best_5_seeds(tmp: Path, tiny: bool) -> dict:
    args = ("--recipes", "best", "--seeds", "5")
    wall_time = run("reproduce.py", *args, "--runs", str(tmp / "runs"), "--docs", str(tmp / "docs"))
    report = (tmp / "docs" / "results.md").read_text()
    return {"command": command("reproduce.py", *args), "wall_time_s": round(wall_time),
            "test_accuracy_by_seed": {path.name.removesuffix("_seeds.json"): json.loads(path.read_text())
                                      for path in sorted((tmp / "runs" / "best").glob("*_seeds.json"))},
            "table": [line for line in report.splitlines() if line.startswith("|")]}


PARTS = {"time_to_accuracy": time_to_accuracy, "training_step": training_step,
         "reproduce_best_5_seeds": reproduce_best_5_seeds}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    p.add_argument("--json", default=str(ROOT / "docs" / "benchmark_gpu.json"))
    p.add_argument("--tiny", action="store_true", help="smoke settings (training_step only)")
    args = p.parse_args(argv)
    if args.tiny and set(args.parts) != {"training_step"}:
        p.error("--tiny runs the training_step part only: pass --parts training_step")
    if jax.default_backend() == "cpu" and not args.tiny:
        print("warning: no GPU: jax runs on the CPU, so these are CPU figures", file=sys.stderr)
    path = Path(args.json)
    figures = json.loads(path.read_text()) if path.is_file() else {}
    measured = dict(device=f"{jax.devices()[0].device_kind} ({jax.device_count()} {jax.default_backend()} device(s))",
                    jax=jax.__version__, flax=flax.__version__, date=datetime.date.today().isoformat(),
                    order="device" if default_shuffle_on_device() else "host")  # who drew each epoch's order
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.parts:
            figures[part] = {"measured": measured, **PARTS[part](Path(tmp), args.tiny)}
            path.write_text(json.dumps(figures, indent=1))  # each part kept as soon as it is measured
    print(f"\nwrote {', '.join(args.parts)} into {path}")


if __name__ == "__main__":
    main()
