"""Fits the digit detector ("that does not look like a digit", ``mnist_flax.novelty``) of a bundled model
and stores it in its weights, then compares its score with others on the same sets:

- digits: browser-like drawings (``sketch.drawn_digits``) of validation digits (the thresholds: each score
  flags ``novelty.FALSE_ALARMS`` of them) and of test digits (the false-alarm rate reported);
- non-digits the thresholds were checked on (``non_digits.tuning_set``: typed letters, scribbles, two
  training digits side by side) and a set built differently (``non_digits.held_out_set``: stroked
  letters and symbols, faces, three test digits in a row, hatching, spirals): the detection rates.

    python scripts/not_a_digit.py --json docs/not_a_digit.json     # --dry-run: weights unchanged
"""
import argparse
import json

import numpy as np

import mnist_flax
from mnist_flax import non_digits
from mnist_flax.novelty import FALSE_ALARMS, DigitDetector
from mnist_flax.prediction import bundled_weights_path, load_bundled_models
from mnist_flax.sketch import drawn_digits

TUNING_FAMILIES = ("typed letters", "scribbles", "two digits")
HELD_OUT_FAMILIES = ("stroked letters and symbols", "faces", "three digits", "hatching", "spirals")


def digit_scores(models: dict, detector: DigitDetector, name: str, images: np.ndarray) -> dict[str, np.ndarray]:
    """Each candidate score of ``images``, higher meaning more like a digit."""
    chosen = models[name]
    logits = chosen.logits(images) / chosen.temperature
    top = logits.max(1)
    probabilities = {n: m.predict(images) for n, m in models.items()}
    pair = (probabilities["cnn"] + probabilities["deep_cnn"]) / 2
    answer = pair.argmax(1)
    return {f"distance to the digits in {name}'s features (chosen)": -detector.distance(chosen.features(images)),
            f"top probability, {name}": probabilities[name].max(1),
            f"energy (log-sum-exp of logits), {name}": top + np.log(np.exp(logits - top[:, None]).sum(1)),
            "top probability, mean of cnn and deep_cnn": pair.max(1),
            "agreement: mean probability of that answer, all models": np.mean(
                [p[np.arange(len(images)), answer] for p in probabilities.values()], 0)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="deep_cnn", help="whose last hidden layer the detector reads")
    p.add_argument("--n-validation", type=int, default=5000, help="validation digits drawn for the thresholds")
    p.add_argument("--n-test", type=int, default=10000, help="test digits drawn for the false-alarm rate")
    p.add_argument("--n", type=int, default=3000, help="non-digits in each set")
    p.add_argument("--dry-run", action="store_true", help="report only; leave the weights as they are")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    data = mnist_flax.load_mnist(args.data_dir)
    models = load_bundled_models()
    chosen = models[args.model]
    training = data.train_without_validation
    sets = {"validation drawings": drawn_digits(data.validation.images[: args.n_validation], seed=1),
            "test drawings": drawn_digits(data.test.images[: args.n_test], seed=0),
            "tuning non-digits": non_digits.tuning_set(training.images, args.n),
            "held-out non-digits": non_digits.held_out_set(data.test.images, args.n)}
    detector = DigitDetector.fit(chosen.features(training.images), training.labels)
    detector = detector.with_threshold(detector.distance(chosen.features(sets["validation drawings"])))
    if not args.dry_run:
        chosen.checkpoint.save(extras={**chosen.checkpoint.extras, **detector.arrays()})
        print(f"stored the detector in {bundled_weights_path(args.model)} (threshold {detector.threshold:.1f})")
    scores = {k: digit_scores(models, detector, args.model, images) for k, images in sets.items()}
    figures = {"model": args.model, "threshold": detector.threshold, "false_alarms_on_validation": FALSE_ALARMS,
               "sizes": {k: len(v) for k, v in sets.items()}, "scores": {}}
    print(f"| score (threshold: {FALSE_ALARMS:.1%} of validation drawings flagged) | false alarms, "
          f"{args.n_test} test drawings | detected, tuning set | detected, held-out set |")
    print("|---|---:|---:|---:|")
    flagged = {}
    for score in scores["validation drawings"]:
        threshold = np.quantile(scores["validation drawings"][score], FALSE_ALARMS)
        flagged[score] = {k: s[score] < threshold for k, s in scores.items()}
        rates = {k: float(f.mean()) for k, f in flagged[score].items()}
        figures["scores"][score] = rates
        print(f"| {score} | {rates['test drawings']:.2%} | {rates['tuning non-digits']:.1%} | "
              f"{rates['held-out non-digits']:.1%} |")
    chosen_flags = flagged[next(iter(flagged))]
    families = {}
    for key, names in (("tuning non-digits", TUNING_FAMILIES), ("held-out non-digits", HELD_OUT_FAMILIES)):
        for i, family in enumerate(names):
            families[family] = float(chosen_flags[key][i::len(names)].mean())
    figures["chosen_by_family"] = families
    print("\nDetected by the chosen score, per kind: " + ", ".join(f"{k} {v:.0%}" for k, v in families.items()))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=1)


if __name__ == "__main__":
    main()
