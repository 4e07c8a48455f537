"""Time from a fresh model to a target test accuracy (speed.md).

    python -m bench time_to_accuracy                  # the Train tab's targets: cnn to 98%, mlp to 97%
    python -m bench time_to_accuracy --target 0.99    # cnn and deep_cnn to 99% with a short one-cycle recipe
    python -m bench time_to_accuracy --target 0.994 --models deep_cnn

Without --target: the Train tab's default settings (Adam, learning rate 1e-3); the wall time counts
compilation and every check of the full 10,000-image test set, as a visitor waits for them.

With --target: each model trains with a short recipe made for speed (``FAST``: Adam, linear warm-up and cosine
decay over a few epochs of all 60,000 images); the test set is checked every --check-every steps. Every run is
made twice: the first compiles, the second is timed. It reports the seconds of training until the test accuracy
first reaches the target (the checks excluded, and given apart), compilation (the first run's extra time),
images/s, and the fraction of the device's fp32 matmul rate measured in the same run (FLOPs: forward + both
gradients, 3x XLA's forward count); the figures also go to docs/bench/time_to_accuracy.json.
"""

import time

import jax

import mnist_flax
from bench import harness
from bench.training import matmul_gflops
from mnist_flax.models import forward_flops

TRAIN_TAB_TARGETS = {"cnn": (0.98, 32), "mlp": (0.97, 64)}  # model: (test accuracy, batch size)
FAST = {  # one-cycle recipes for --target; the test set is only watched, never trained on
    "cnn": mnist_flax.Recipe(
        optimizer="adam", learning_rate=3e-3, batch_size=128, epochs=3, schedule="cosine", split="all"
    ),
    "deep_cnn": mnist_flax.Recipe(
        optimizer="adam", learning_rate=4e-3, batch_size=256, epochs=12, schedule="cosine", split="all"
    ),
}
FAST_HEADER = [
    "model",
    "recipe",
    "target",
    "training (s)",
    "test checks (s)",
    "compilation (s)",
    "steps",
    "test accuracy",
    "images/s",
    "GFLOP/s",
    "of matmul rate",
]


def add_arguments(p):
    p.add_argument("--target", type=float, help="test accuracy to reach with the FAST recipes (e.g. 0.99)")
    p.add_argument(
        "--models",
        nargs="+",
        choices=[*TRAIN_TAB_TARGETS, *FAST],
        help="default: cnn and mlp, or with --target cnn and deep_cnn",
    )
    p.add_argument("--check-every", type=int, help="steps between test-set checks (default 250; 50 with --target)")
    p.add_argument("--steps", type=int, default=20_000, help="the most steps of a Train-tab run")
    p.add_argument("--steps-per-call", type=int, help="override the training loop's steps per compiled call")
    p.add_argument("--epochs", type=int, help="override the FAST recipe's epochs (the schedule's length)")
    p.add_argument("--batch-size", type=int, help="override the FAST recipe's batch size")
    p.add_argument("--lr", type=float, help="override the FAST recipe's peak learning rate")
    p.add_argument("--data-dir")


def run_to_target(name, recipe, data, target, check_every, steps=None, steps_per_call=None):
    """One run from a fresh model on the recipe's split; returns (seconds training, seconds checking, steps,
    test accuracy) at the first check that reaches ``target`` (or at the end)."""
    run = mnist_flax.Run(name, recipe, data, steps=steps, validation_size=0)
    stream = run.train(log_every=check_every, steps_per_call=steps_per_call)
    training = checking = 0.0
    accuracy, step = 0.0, 0
    while True:
        tick = time.perf_counter()
        progress = next(stream, None)
        training += time.perf_counter() - tick
        if progress is None:
            break
        tick = time.perf_counter()
        accuracy, step = run.evaluate().accuracy, progress.step
        checking += time.perf_counter() - tick
        if accuracy >= target:
            stream.close()
            break
    return training, checking, step, accuracy


def fast_figures(models, data, target, check_every, steps_per_call, overrides) -> dict:
    peak = matmul_gflops(4096 if jax.default_backend() != "cpu" else 2048)
    rows = []
    for name in models:
        recipe = FAST[name].replace(**overrides)
        tick = time.perf_counter()
        first = run_to_target(name, recipe, data, 2.0, check_every, steps_per_call=steps_per_call)  # compiles
        first_total = time.perf_counter() - tick
        tick = time.perf_counter()
        run_to_target(name, recipe, data, 2.0, check_every, steps_per_call=steps_per_call)
        compilation = first_total - (time.perf_counter() - tick)
        training, checking, steps, accuracy = run_to_target(
            name, recipe, data, target, check_every, steps_per_call=steps_per_call
        )
        images_per_s = steps * recipe.batch_size / training
        gflops = 3 * forward_flops(mnist_flax.MODELS[name].build(0)) * images_per_s / 1e9
        rows.append(
            dict(
                model=name,
                recipe=f"adam {recipe.learning_rate:g} cosine, batch {recipe.batch_size}, {recipe.epochs} epochs",
                target=target,
                training_s=round(training, 3),
                checks_s=round(checking, 3),
                compilation_s=round(compilation, 1),
                steps=steps,
                test_accuracy=accuracy,
                images_per_s=round(images_per_s),
                gflops=round(gflops, 1),
                matmul_fraction=round(gflops / peak, 4),
                final_accuracy=first[3],
            )
        )
        harness.note(f"{name}: {accuracy:.2%} after {training:.2f} s")
    return dict(
        device=jax.devices()[0].device_kind,
        backend=jax.default_backend(),
        jax=jax.__version__,
        matmul_gflops=peak,
        rows=rows,
    )


def fast_rows(figures: dict) -> list[list]:
    """FAST_HEADER's cells, for this subcommand and for the GPU section (``bench.gpu``)."""
    return [
        [
            r["model"],
            r["recipe"],
            f"{r['target']:.1%}",
            f"{r['training_s']:.2f}" + ("" if r["test_accuracy"] >= r["target"] else " (not reached)"),
            f"{r['checks_s']:.2f}",
            f"{r['compilation_s']:.1f}",
            f"{r['steps']:,}",
            f"{r['test_accuracy']:.2%}",
            f"{r['images_per_s']:,}",
            f"{r['gflops']:,.0f}",
            f"{r['matmul_fraction']:.1%}",
        ]
        for r in figures["rows"]
    ]


def train_tab_rows(models, data, check_every, max_steps) -> list[list]:
    rows = []
    for name in models:
        target, batch = TRAIN_TAB_TARGETS[name]
        start = time.perf_counter()
        recipe = mnist_flax.Recipe(optimizer="adam", learning_rate=1e-3, batch_size=batch)
        training, checking, steps, accuracy = run_to_target(name, recipe, data, target, check_every, steps=max_steps)
        rows.append(
            [
                f"{name} (batch {batch})",
                f"{target:.0%}",
                f"{time.perf_counter() - start:.1f}",
                f"{steps:,}",
                f"{accuracy:.2%}",
            ]
        )
    return rows


def run(args):
    known = FAST if args.target else TRAIN_TAB_TARGETS
    if set(args.models or ()) - set(known):
        raise SystemExit(f"--models: choose from {', '.join(known)}")
    data = mnist_flax.load_mnist(args.data_dir)
    if args.target is None:
        text = harness.table(
            ["model", "target", "wall time (s)", "steps", "test accuracy reached"],
            train_tab_rows(args.models or list(TRAIN_TAB_TARGETS), data, args.check_every or 250, args.steps),
        )
    else:
        figures = fast_figures(
            args.models or list(FAST),
            data,
            args.target,
            args.check_every or 50,
            args.steps_per_call,
            dict(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr),
        )
        harness.write_json(args.docs / "bench" / "time_to_accuracy.json", figures)
        text = (
            f"{figures['device']} ({figures['backend']}), jax {figures['jax']}; fp32 matmul "
            f"{figures['matmul_gflops']:,.0f} GFLOP/s.\n\n" + harness.table(FAST_HEADER, fast_rows(figures), align="ll")
        )
    harness.publish(args.docs / "speed.md", "time_to_accuracy", args.command, text)
