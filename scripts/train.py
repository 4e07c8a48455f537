"""python scripts/train.py --model cnn --recipe best --out runs/cnn: the same as ``mnist-flax-train``
(mnist_flax/cli.py), kept so that the documented command works from a checkout."""

from mnist_flax.cli import train

if __name__ == "__main__":
    train()
