"""What augmentation costs and buys: a model's best recipe trained with and without it (accuracy.md).

    python -m bench augmentation --model cnn --epochs 10

For both runs: test accuracy, wall time, and accuracy on browser-like drawings of the test digits
(``mnist_flax.inputs.drawn_digits``, read by the reader), the inputs the demo really gets.
"""

import mnist_flax
from bench import harness
from mnist_flax.inputs import drawn_digits


def add_arguments(p):
    p.add_argument("--model", default="cnn", choices=list(mnist_flax.MODELS))
    p.add_argument("--epochs", type=int, help="override the best recipe's epochs (both runs)")
    p.add_argument("--steps", type=int, help="train this many steps instead of the epochs (the tests)")
    p.add_argument("--drawings", type=int, default=2000, help="test digits drawn as sketches")
    p.add_argument("--data-dir")


def run(args):
    data = mnist_flax.load_mnist(args.data_dir)
    drawings = mnist_flax.Split(drawn_digits(data.test.images[: args.drawings]), data.test.labels[: args.drawings])
    rows = []
    for augment in (False, True):
        recipe = mnist_flax.MODELS[args.model].best.replace(augment=augment, epochs=args.epochs)
        run = mnist_flax.Run(args.model, recipe, data, steps=args.steps).complete()
        length = f"{args.steps} steps" if args.steps else f"{recipe.epochs} epochs"
        rows.append(
            [
                f"{args.model}, {length}, {'with' if augment else 'without'} augmentation",
                f"{run.wall_time:.0f} s",
                f"{run.evaluation.accuracy:.2%}",
                f"{run.evaluate(drawings).accuracy:.2%}",
            ]
        )
    harness.publish(
        args.docs / "accuracy.md",
        "augmentation",
        args.command,
        harness.table(["run", "wall time", "test accuracy", f"drawings (n={args.drawings})"], rows),
    )
