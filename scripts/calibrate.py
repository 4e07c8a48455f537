"""Fits each bundled model's temperature on the validation split (the last 10,000 training images, never
the test set), stores it in the weights' metadata, and reports the expected calibration error (15 bins)
on the test set before and after.

    python scripts/calibrate.py            # --dry-run: report only, weights unchanged
"""
import argparse
import json

import numpy as np

import mnist_flax
from mnist_flax.calibration import BINS, expected_calibration_error, fit_temperature, store_temperature
from mnist_flax.forward import softmax
from mnist_flax.prediction import bundled_weights_path, load_bundled_models

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry-run", action="store_true", help="report only; leave the weights as they are")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    data = mnist_flax.load_mnist(args.data_dir)
    figures = {}
    print(f"| model | temperature | test ECE before ({BINS} bins) | after | test NLL before | after |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, predictor in load_bundled_models().items():
        temperature = fit_temperature(predictor.logits(data.validation.images), data.validation.labels)
        test_logits = predictor.logits(data.test.images)
        before, after = (softmax(test_logits / t) for t in (1.0, temperature))
        labels = data.test.labels
        nll = [float(-np.log(p[np.arange(len(labels)), labels]).mean()) for p in (before, after)]
        figures[name] = {"temperature": round(temperature, 4),
                         "ece_before": expected_calibration_error(before, labels),
                         "ece_after": expected_calibration_error(after, labels),
                         "nll_before": nll[0], "nll_after": nll[1]}
        f = figures[name]
        print(f"| {name} | {temperature:.3f} | {f['ece_before']:.2%} | {f['ece_after']:.2%} | {nll[0]:.4f} | "
              f"{nll[1]:.4f} |", flush=True)
        if not args.dry_run:
            store_temperature(bundled_weights_path(name), temperature)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=1)


if __name__ == "__main__":
    main()
