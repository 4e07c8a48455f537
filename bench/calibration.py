"""Each bundled model's calibration on the test set, before and after its temperature (accuracy.md).

    python -m bench calibration

Expected calibration error (15 equal-width bins) and negative log-likelihood on the test digits, with the raw
softmax and divided by the temperature in the weights' metadata (fitted on the validation split when the
weights are bundled: ``mnist_flax.bundle``). The figures also go to docs/bench/calibration.json.
"""

import mnist_flax
from bench import harness
from mnist_flax.calibration import BINS, expected_calibration_error, negative_log_likelihood
from mnist_flax.forward import softmax
from mnist_flax.prediction import load_bundled_models


def add_arguments(p):
    p.add_argument("--n", type=int, default=10_000, help="test digits")
    p.add_argument("--data-dir")


def run(args):
    test = mnist_flax.load_mnist(args.data_dir).test
    images, labels = test.images[: args.n], test.labels[: args.n]
    figures = {}
    for name, predictor in load_bundled_models().items():
        logits, t = predictor.logits(images), predictor.temperature
        figures[name] = {
            "temperature": t,
            "ece_before": expected_calibration_error(softmax(logits), labels),
            "ece_after": expected_calibration_error(softmax(logits / t), labels),
            "nll_before": negative_log_likelihood(logits, labels, 1.0),
            "nll_after": negative_log_likelihood(logits, labels, t),
        }
    harness.write_json(args.docs / "bench" / "calibration.json", figures)
    rows = [
        [
            name,
            f"{f['temperature']:.3f}",
            f"{f['ece_before']:.2%}",
            f"{f['ece_after']:.2%}",
            f"{f['nll_before']:.4f}",
            f"{f['nll_after']:.4f}",
        ]
        for name, f in figures.items()
    ]
    harness.publish(
        args.docs / "accuracy.md",
        "calibration",
        args.command,
        f"{len(labels):,} test digits:\n\n"
        + harness.table(
            ["model", "temperature", f"ECE before ({BINS} bins)", "ECE after", "test NLL before", "after"], rows
        ),
    )
