"""Wall time from a fresh model to a target test accuracy, compilation included: the Train tab's targets.

    python scripts/time_to_accuracy.py             # cnn to 98%, mlp to 97%

Trains with the Train tab's default settings (Adam, learning rate 1e-3) and checks the
full 10,000-image test set every --check-every steps; evaluation time counts too.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mnist_flax  # noqa: E402

TARGETS = {"cnn": (0.98, 32), "mlp": (0.97, 64)}  # model: (test accuracy, batch size)


def time_to(name, target, batch_size, data, check_every, max_steps=20_000):
    start = time.perf_counter()
    model = mnist_flax.MODELS[name].build(0)
    recipe = mnist_flax.Recipe(optimizer="adam", learning_rate=1e-3, batch_size=batch_size)
    for progress in mnist_flax.train(model, recipe, data.train_without_validation, steps=max_steps,
                                     log_every=check_every):
        accuracy = mnist_flax.evaluate(model, data.test).accuracy
        if accuracy >= target:
            return time.perf_counter() - start, progress.step, accuracy
    return float("inf"), max_steps, accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    p.add_argument("--check-every", type=int, default=250)
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    data = mnist_flax.load_mnist(args.data_dir)
    print("| model | target | wall time (s) | steps | test accuracy reached |\n|---|---:|---:|---:|---:|")
    for name in args.models:
        target, batch = TARGETS[name]
        seconds, steps, accuracy = time_to(name, target, batch, data, args.check_every)
        print(f"| {name} (batch {batch}) | {target:.0%} | {seconds:.1f} | {steps} | {accuracy:.2%} |", flush=True)


if __name__ == "__main__":
    main()
