"""The visitors' corrections ("Wrong? It is a ..." in the app, ``mnist_flax.feedback``): each model's
accuracy on them, and an export as IDX files that training can add to MNIST to fine-tune a model.

    python scripts/feedback.py                      # the folder of $MNIST_FLAX_FEEDBACK_DIR, or --dir
    python scripts/feedback.py --export corrections # writes corrections/feedback-{images,labels}-...gz
    python scripts/train.py --model cnn --init cnn --extra-train corrections --epochs 1 --lr 1e-4
"""

import argparse
import sys

from mnist_flax.data import write_idx_split
from mnist_flax.feedback import feedback_dir, load_corrections
from mnist_flax.prediction import load_bundled_models


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--dir",
        default=None,
        help=f"the corrections' folder (default: $MNIST_FLAX_FEEDBACK_DIR, else {feedback_dir()})",
    )
    p.add_argument("--export", metavar="FOLDER", help="write the corrections here as feedback-*.gz IDX files")
    args = p.parse_args(argv)
    folder = args.dir or feedback_dir()
    corrections, records = load_corrections(folder)
    if not records:
        sys.exit(f"No corrections in {folder}: they appear when visitors click 'Send the correction' in the app.")
    print(
        f"{len(records)} corrections in {folder}; labels: "
        + ", ".join(f"{d}: {(corrections.labels == d).sum()}" for d in range(10))
    )
    print("| model | right when corrected (stored answers) | right now (bundled weights) |")
    print("|---|---:|---:|")
    for name, model in load_bundled_models().items():
        stored = [r["answers"][name] == r["label"] for r in records if name in r.get("answers", {})]
        then = f"{sum(stored) / len(stored):.1%} of {len(stored)}" if stored else "-"
        now = (model.predict(corrections.images).argmax(1) == corrections.labels).mean()
        print(f"| {name} | {then} | {now:.1%} |")
    if args.export:
        paths = write_idx_split(corrections, args.export, "feedback")
        print(
            f"wrote {', '.join(map(str, paths))}; fine-tune with: python scripts/train.py --model cnn --init cnn "
            f"--extra-train {args.export} --epochs 1 --lr 1e-4"
        )


if __name__ == "__main__":
    main()
