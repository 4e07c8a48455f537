"""What augmentation costs and buys: a model's best recipe trained with and without it.

    python scripts/augmentation_ablation.py --model cnn --epochs 10

Reports, for both runs: test accuracy, wall time, and accuracy on browser-like drawings
of the test digits (``inputs.drawn_digits``, read by the reader), the inputs the demo really gets.
"""
import argparse

import mnist_flax
from mnist_flax.inputs import drawn_digits


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="cnn", choices=list(mnist_flax.MODELS))
    p.add_argument("--epochs", type=int, help="override the best recipe's epochs (both runs)")
    p.add_argument("--drawings", type=int, default=2000, help="test digits drawn as sketches")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    data = mnist_flax.load_mnist(args.data_dir)
    drawings = mnist_flax.Split(drawn_digits(data.test.images[: args.drawings]), data.test.labels[: args.drawings])
    print(f"| {args.model} best recipe | epochs | wall time (s) | test accuracy | drawings (n={args.drawings}) |")
    print("|---|---:|---:|---:|---:|")
    for augment in (False, True):
        recipe = mnist_flax.MODELS[args.model].best.replace(augment=augment, epochs=args.epochs)
        run = mnist_flax.Run(args.model, recipe, data).complete()
        on_drawings = run.evaluate(drawings).accuracy
        print(f"| {'with' if augment else 'without'} augmentation | {recipe.epochs} | {run.wall_time:.0f} "
              f"| {run.evaluation.accuracy:.2%} | {on_drawings:.2%} |", flush=True)


if __name__ == "__main__":
    main()
