"""Trains the judge of "that does not look like a digit" (``mnist_flax.novelty``) and installs it in
mnist_flax/weights/judge.safetensors; its threshold flags ``novelty.FALSE_ALARMS`` of validation digits.
How it does on inputs built apart from its training: ``python scripts/battery.py``.

    python scripts/not_a_digit.py
"""
import argparse
import time

import mnist_flax
from mnist_flax import novelty


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--views", type=int, default=8000, help="training digits also shown as the reader reads them")
    p.add_argument("--non-digits", type=int, default=30000, help="non-digits to train on")
    p.add_argument("--out", default=novelty.JUDGE_PATH, help="where to write the judge")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    start = time.perf_counter()
    judge = novelty.train_judge(mnist_flax.load_mnist(args.data_dir), args.views, args.non_digits, path=args.out)
    print(f"judge written to {args.out} in {time.perf_counter() - start:.0f} s (threshold {judge.threshold:.3f})")


if __name__ == "__main__":
    main()
