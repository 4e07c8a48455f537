"""The results table and learning curves of the runs that scripts/reproduce.py trained (accuracy.md).

    python -m bench results                      # from docs/runs
    python -m bench results --runs runs          # from another runs folder

Reads each run's history ({recipe}/{model}_history.json) and every seed's test accuracy
({recipe}/{model}_seeds.json); writes the table, with each run's verdict against the tutorial or the project's
target, and one tutorial-against-best curves figure per model (docs/curves_{model}.png).
"""

import json
from pathlib import Path

import numpy as np

import mnist_flax
from bench import harness
from mnist_flax import plots
from mnist_flax.models import count_params
from mnist_flax.recipe import RECIPE_NAMES

RUNS = harness.DOCS / "runs"
BEST_TARGETS = {"vanilla_mlp": 97.5, "shallow_mlp": 98.8, "mlp": 98.9, "cnn": 99.4, "deep_cnn": 99.6}  # test %


def add_arguments(p):
    p.add_argument("--runs", type=Path, default=RUNS, help="the folder scripts/reproduce.py trained into")


def history_path(runs, recipe, name) -> Path:
    return Path(runs) / recipe / f"{name}_history.json"


def seeds_path(runs, recipe, name) -> Path:
    return Path(runs) / recipe / f"{name}_seeds.json"


def verdict(name, recipe, accuracy) -> str:
    """Did the run reproduce the tutorial (within 0.5 points; the vanilla MLP must fail, < 40%) or reach the
    project's target?"""
    percent = 100 * accuracy
    if recipe == "best":
        return f"{'meets' if percent >= BEST_TARGETS[name] else 'misses'} target {BEST_TARGETS[name]}%"
    if name == "vanilla_mlp":
        return "fails to learn, as in the tutorial" if percent < 40 else "learns: not the tutorial's failure"
    gap = percent - mnist_flax.MODELS[name].tutorial_accuracy
    return f"{'reproduced' if abs(gap) <= 0.5 else 'off'} ({gap:+.2f} points)"


def spread(runs, recipe, name) -> str:
    """Mean and standard deviation of the test accuracy over the seeds run, if more than one."""
    path = seeds_path(runs, recipe, name)
    accuracies = 100 * np.array(list(json.loads(path.read_text()).values())) if path.is_file() else np.zeros(0)
    return f"{accuracies.mean():.2f} ± {accuracies.std(ddof=1):.2f}% ({len(accuracies)})" if len(accuracies) > 1 else ""


def report(runs=RUNS, docs=harness.DOCS, command: str | None = None) -> str:
    """Writes the curves into ``docs`` and the table into its accuracy.md; returns the table."""
    docs = Path(docs)
    docs.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, entry in mnist_flax.MODELS.items():
        found = {
            r: json.loads(history_path(runs, r, name).read_text())
            for r in RECIPE_NAMES
            if history_path(runs, r, name).is_file()
        }
        for recipe, h in found.items():
            r = h["recipe"]
            desc = (
                f"{r['optimizer']} lr {r['learning_rate']:g}, batch {r['batch_size']}"
                + (", augmented" if r["augment"] else "")
                + (", raw pixels" if r["raw_pixels"] else "")
            )
            rows.append(
                [
                    name,
                    f"{count_params(entry.build(0)):,}",
                    f"{recipe}: {desc}",
                    f"{h['history'][-1]['epoch']:.0f}",
                    h.get("train_size", ""),
                    f"{h['wall_time_s']:.0f}",
                    f"{h['test_accuracy']:.2%}",
                    spread(runs, recipe, name),
                    f"{entry.tutorial_accuracy}%",
                    verdict(name, recipe, h["test_accuracy"]),
                ]
            )
        if found:
            fig = plots.learning_curves({r: h["history"] for r, h in found.items()}, f"{name}: tutorial vs best recipe")
            plots.save(fig, docs / f"curves_{name}.png")
    table = harness.table(
        [
            "model",
            "parameters",
            "recipe",
            "epochs",
            "train images",
            "wall time (s)",
            "test accuracy",
            "over seeds",
            "tutorial reports",
            "verdict",
        ],
        rows,
        align="lrlrrrrrrl",
    )
    command = command or "python -m bench results" + ("" if Path(runs).resolve() == RUNS else f" --runs {runs}")
    harness.publish(docs / "accuracy.md", "results", command, table)
    return table


def run(args):
    report(args.runs, args.docs, args.command)
