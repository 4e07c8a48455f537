"""Accuracy of every bundled model on browser-like drawings of MNIST test digits, with the project's
sketch preprocessing and with naive resizing, and each model's time to answer one drawing. The first
row (the best model on the test set) is the app's default answer.

    python scripts/sketch_accuracy.py --n 10000
"""
import argparse
import time

import numpy as np

import mnist_flax
from mnist_flax.prediction import load_bundled_models
from mnist_flax.sketch import drawn_digits, naive_resize, simulate_drawing


def naive_inputs(test: mnist_flax.Split, n: int, seed: int = 0):
    """The first n test digits drawn as sketches (the same as ``drawn_digits``'s), naively resized."""
    rng = np.random.default_rng(seed)
    return np.stack([naive_resize(simulate_drawing(test.images[i], rng)) for i in range(n)])


def milliseconds_per_answer(model: mnist_flax.Predictor, image: np.ndarray, repeats: int = 200) -> float:
    """Median wall time of ``predict`` on one 28x28 image: the model's share of an answer in the app."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(image)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="number of test digits to draw")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    test = mnist_flax.load_mnist(args.data_dir).test
    preprocessed, naive = drawn_digits(test.images[: args.n]), naive_inputs(test, args.n)
    labels = test.labels[: args.n]
    print(f"| model | MNIST test | drawings, preprocessed | drawings, naive resize | ms per drawing |  "
          f"(first {args.n} test digits)")
    print("|---|---:|---:|---:|---:|")
    models = load_bundled_models()
    on_drawings = {}
    for i, (name, model) in enumerate(models.items()):
        on_drawings[name] = model.predict(preprocessed)
        acc = [(model.predict(x).argmax(1) == labels).mean() for x in (test.images[: args.n], naive)]
        print(f"| {name}{' (default answer)' if i == 0 else ''} | {acc[0]:.2%} | "
              f"{(on_drawings[name].argmax(1) == labels).mean():.2%} | {acc[1]:.2%} | "
              f"{milliseconds_per_answer(model, preprocessed[0]):.2f} |")
    default = next(iter(models))
    shifts = [np.roll(preprocessed, shift, axis) for shift in (-1, 1) for axis in (1, 2)]
    combined = {"mean of cnn and deep_cnn": np.mean([on_drawings["cnn"], on_drawings["deep_cnn"]], 0),
                "mean of all models": np.mean(list(on_drawings.values()), 0),
                f"{default}, mean over the drawing and its four one-pixel shifts": np.mean(
                    [on_drawings[default], *(models[default].predict(x) for x in shifts)], 0)}
    print("\nCombined answers on the drawings: " + "; ".join(
        f"{name} {(p.argmax(1) == labels).mean():.2%}" for name, p in combined.items()))


if __name__ == "__main__":
    main()
