"""How easily each bundled model is talked into another digit (inside.md, docs/bench/counterfactuals.json).

    python -m bench counterfactuals --n 500

For test digits and every other target class: the share of cases where gradient steps on the pixels make the
target the model's top class within the step budget, the steps that took, and the size of the change.
"""

import time

import numpy as np

import mnist_flax
from bench import harness
from mnist_flax.attribution import STEP_SIZE, STEPS
from mnist_flax.prediction import load_bundled_models


def add_arguments(p):
    p.add_argument("--n", type=int, default=500, help="test digits (each toward its 9 other classes)")
    p.add_argument("--models", nargs="+", choices=list(mnist_flax.MODELS), help="default: every bundled model")
    p.add_argument("--data-dir")


def measure(predictor, images, labels) -> dict:
    """Every image toward each of the 9 digits it is not, one target offset at a time."""
    reached, steps, change, pixels = [], [], [], []
    for offset in range(1, 10):
        result = predictor.counterfactual(images, (labels + offset) % 10)
        reached.append(result.reached)
        steps.append(result.steps_taken[result.reached])
        change.append(result.change[result.reached])
        pixels.append((np.abs(result.final - result.images[0]) > 0.1).sum((-1, -2))[result.reached])
    reached = np.concatenate(reached)
    return {
        "cases": int(reached.size),
        "success_rate": float(reached.mean()),
        "mean_steps": float(np.concatenate(steps).mean()),
        "mean_l2_change": float(np.concatenate(change).mean()),
        "mean_pixels_changed": float(np.concatenate(pixels).mean()),
    }


def run(args):
    test = mnist_flax.load_mnist(args.data_dir).test
    images, labels = test.images[: args.n], test.labels[: args.n].astype(np.int32)
    models = load_bundled_models()
    figures = {}
    for name in args.models or models:
        start = time.perf_counter()
        figures[name] = measure(models[name], images, labels) | {"seconds": round(time.perf_counter() - start, 1)}
    harness.write_json(
        args.docs / "bench" / "counterfactuals.json",
        {"digits": args.n, "steps": STEPS, "step_size": STEP_SIZE, "models": figures},
    )
    rows = [
        [
            name,
            f"{f['success_rate']:.1%}",
            f"{f['mean_steps']:.1f}",
            f"{f['mean_l2_change']:.2f}",
            f"{f['mean_pixels_changed']:.0f}",
            f"{f['seconds']:.0f}",
        ]
        for name, f in figures.items()
    ]
    harness.publish(
        args.docs / "inside.md",
        "counterfactuals",
        args.command,
        f"{args.n} test digits x 9 targets; at most {STEPS} steps of L2 size {STEP_SIZE} (pixels in "
        "[0, 1]).\n\n"
        + harness.table(
            ["model", "target reached", "mean steps", "mean L2 change", "pixels changed by > 0.1", "seconds"], rows
        ),
    )
