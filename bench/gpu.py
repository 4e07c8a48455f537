"""The GPU figures in one command, merged into docs/bench/gpu.json (speed.md).

    python -m bench gpu                                  # every part
    python -m bench gpu --parts time_to_accuracy         # some parts; the file keeps the others

Parts (each runs its command in a fresh process, as a user would, and is stored with that command):
  time_to_accuracy        python -m bench time_to_accuracy --target 0.99, then --target 0.994 --models deep_cnn
  training_step           python -m bench training --batch-sizes 128 512 --variants --windows 3 --steps-only
  reproduce_best_5_seeds  python scripts/reproduce.py --recipes best --seeds 5 (wall time, every seed's test
                          accuracy and the results table; its runs and report go to a temporary folder)
Each part also names the device, jax, flax, the date and who drew the training order. The section is made from
every part the file holds. --tiny runs only the smoke settings of the training part (the tests, on CPU).
"""

import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import flax
import jax
import numpy as np

from bench import harness
from bench.time_to_accuracy import FAST_HEADER, fast_rows
from bench.training import VARIANTS
from mnist_flax.training import default_shuffle_on_device

PARTS = ("time_to_accuracy", "training_step", "reproduce_best_5_seeds")


def add_arguments(p):
    p.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    p.add_argument("--tiny", action="store_true", help="smoke settings (the training_step part only)")


def measure(*command: str) -> float:
    """Runs ``command`` (its output shown); returns its wall time in seconds."""
    harness.note(f"\n$ python {' '.join(command)}")
    start = time.perf_counter()
    subprocess.run([sys.executable, *command], check=True, cwd=harness.ROOT)
    return time.perf_counter() - start


def time_to_accuracy(tmp: Path, tiny: bool) -> dict:
    runs = {"0.99": ("--target", "0.99"), "0.994": ("--target", "0.994", "--models", "deep_cnn")}
    part = {"command": "; ".join(" ".join(["python -m bench time_to_accuracy", *args]) for args in runs.values())}
    for target, args in runs.items():
        measure("-m", "bench", "time_to_accuracy", *args, "--docs", str(tmp))
        part[f"target_{target}"] = json.loads((tmp / "bench" / "time_to_accuracy.json").read_text())
    return part


def training_step(tmp: Path, tiny: bool) -> dict:
    args = (
        ("--tiny", "--models", "mlp", "--batch-sizes", "32", "--steps-only")
        if tiny
        else ("--batch-sizes", "128", "512", "--variants", "--windows", "3", "--steps-only")
    )
    measure("-m", "bench", "training", *args, "--docs", str(tmp))
    return {
        "command": " ".join(["python -m bench training", *args]),
        "figures": json.loads((tmp / "bench" / "training.json").read_text()),
    }


def reproduce_best_5_seeds(tmp: Path, tiny: bool) -> dict:
    args = ("--recipes", "best", "--seeds", "5")
    wall_time = measure("scripts/reproduce.py", *args, "--runs", str(tmp / "runs"), "--docs", str(tmp / "docs"))
    report = (tmp / "docs" / "accuracy.md").read_text()
    return {
        "command": " ".join(["python scripts/reproduce.py", *args]),
        "wall_time_s": round(wall_time),
        "test_accuracy_by_seed": {
            path.name.removesuffix("_seeds.json"): json.loads(path.read_text())
            for path in sorted((tmp / "runs" / "best").glob("*_seeds.json"))
        },
        "table": [line for line in report.splitlines() if line.startswith("|")],
    }


def caption(part: dict) -> str:
    m = part["measured"]
    return (
        f"`{part['command']}` on {m['device']}, jax {m['jax']}, flax {m['flax']}, {m['date']}; training order "
        f"drawn by the {m['order']}"
    )


def markdown(figures: dict) -> str:
    blocks = []
    if "time_to_accuracy" in figures:
        part = figures["time_to_accuracy"]
        rows = [row for key in sorted(k for k in part if k.startswith("target_")) for row in fast_rows(part[key])]
        blocks.append(f"Time to accuracy ({caption(part)}):\n\n" + harness.table(FAST_HEADER, rows, align="ll"))
    if "training_step" in figures:
        part = figures["training_step"]
        runs = part["figures"]["training"]
        shown = [v for v in VARIANTS if any(r["variant"] == v for r in runs)]
        cells = {(r["model"], r["batch"], r["variant"]): r["ms_per_step"] for r in runs}
        keys = list(dict.fromkeys((r["model"], r["batch"]) for r in runs))
        blocks.append(
            f"Training step, ms/step ({caption(part)}):\n\n"
            + harness.table(
                ["model, batch", *shown], [[f"{m}, {b}", *(cells.get((m, b, v), "-") for v in shown)] for m, b in keys]
            )
        )
    if "reproduce_best_5_seeds" in figures:
        part = figures["reproduce_best_5_seeds"]
        rows = [
            [name, ", ".join(f"{100 * a:.2f}" for a in seeds.values()), f"{100 * np.mean(list(seeds.values())):.2f}"]
            for name, seeds in part["test_accuracy_by_seed"].items()
        ]
        blocks.append(
            f"The best recipes over several seeds, {part['wall_time_s']} s for every run ({caption(part)}):"
            "\n\n" + harness.table(["model", "test accuracy by seed (%)", "mean (%)"], rows, align="ll")
        )
    return "\n\n".join(blocks)


def run(args):
    if args.tiny and set(args.parts) != {"training_step"}:
        raise SystemExit("--tiny runs the training_step part only: pass --parts training_step")
    if jax.default_backend() == "cpu" and not args.tiny:
        harness.note("warning: no GPU: jax runs on the CPU, so these are CPU figures")
    path = args.docs / "bench" / "gpu.json"
    figures = json.loads(path.read_text()) if path.is_file() else {}
    measured = dict(
        device=f"{jax.devices()[0].device_kind} ({jax.device_count()} {jax.default_backend()} device(s))",
        jax=jax.__version__,
        flax=flax.__version__,
        date=datetime.date.today().isoformat(),
        order="device" if default_shuffle_on_device() else "host",
    )  # who drew each epoch's order
    parts = {
        "time_to_accuracy": time_to_accuracy,
        "training_step": training_step,
        "reproduce_best_5_seeds": reproduce_best_5_seeds,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.parts:
            figures[part] = {"measured": measured, **parts[part](Path(tmp), args.tiny)}
            harness.write_json(path, figures)  # each part kept as soon as it is measured
    harness.publish(args.docs / "speed.md", "gpu", args.command, markdown(figures))
