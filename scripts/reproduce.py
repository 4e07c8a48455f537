"""Train every registry model with its tutorial recipe and with the project's best one,
then write the results report (``python -m bench results``: docs/accuracy.md's table, the curves) and bundle
the best weights.

    python scripts/reproduce.py                      # everything (how long it takes: docs/accuracy.md)
    python scripts/reproduce.py --models cnn --recipes tutorial
    python scripts/reproduce.py --recipes best --seeds 5    # each run over seeds 0-4: mean and spread
    python -m bench results                          # the report again, from runs already made

Runs land in --runs/{recipe}/ (weights, history, figures of seed 0; every seed's test
accuracy in {model}_seeds.json). --bundle then makes the weights the app ships, complete
(``mnist_flax.bundle``): each model from its best run here (or the installed one, or trained now), the
temperature fitted on the validation split, the not-a-digit judge trained, all checked, then installed
in mnist_flax/weights/:

    python scripts/reproduce.py --recipes best --bundle    # train the best recipes, then bundle
    python scripts/reproduce.py --bundle-only              # bundle the best runs there are (or installed)
"""

import argparse
import json
from pathlib import Path

import mnist_flax
from bench.results import report, seeds_path
from mnist_flax import bundle
from mnist_flax.prediction import WEIGHTS_DIR
from mnist_flax.recipe import RECIPE_NAMES as RECIPES

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(mnist_flax.MODELS), choices=list(mnist_flax.MODELS))
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    p.add_argument("--seeds", type=int, default=1, help="train each run with seeds 0..N-1 (default 1)")
    p.add_argument("--data-dir", help="folder with the four official MNIST .gz files")
    p.add_argument("--runs", default=str(ROOT / "docs" / "runs"), help="where each run's files go")
    p.add_argument("--docs", default=str(ROOT / "docs"), help="where the report goes")
    p.add_argument("--bundle", action="store_true", help="then make and install the complete bundled weights")
    p.add_argument(
        "--bundle-only",
        action="store_true",
        help="train only the models with no best run here or installed; refit the temperatures, retrain the judge",
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.bundle_only:
        bundle.make(mnist_flax.load_mnist(args.data_dir), take_from=(Path(args.runs) / "best", WEIGHTS_DIR))
        return
    data = mnist_flax.load_mnist(args.data_dir)
    for name in args.models:
        for recipe_name in args.recipes:
            recipe = mnist_flax.get_model_entry(name).recipe(recipe_name)
            accuracies = {}
            for seed in range(args.seeds):
                print(f"== {name}, {recipe_name} recipe, seed {seed}: {recipe}", flush=True)
                run = mnist_flax.Run(name, recipe, data, seed=seed).complete(
                    lambda p: (
                        p.val_accuracy is not None
                        and print(
                            f"  epoch {p.epoch:6.2f} loss {p.loss:.4f} val_acc {p.val_accuracy:.4f} "
                            f"({p.elapsed:.0f} s)",
                            flush=True,
                        )
                    )
                )
                if seed == 0:
                    run.write(Path(args.runs) / recipe_name, label=recipe_name)
                accuracies[seed] = run.evaluation.accuracy
                print(f"   test accuracy {run.evaluation.accuracy:.4f} in {run.wall_time:.0f} s", flush=True)
            seeds_path(args.runs, recipe_name, name).write_text(json.dumps(accuracies))
    report(args.runs, args.docs)  # first: a bundle that fails keeps the report of hours of runs
    if args.bundle:
        bundle.make(data, take_from=(Path(args.runs) / "best", WEIGHTS_DIR))


if __name__ == "__main__":
    main()
