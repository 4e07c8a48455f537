"""Train one registry model with its tutorial or best recipe, on CPU or GPU.

    mnist-flax-train --model cnn --recipe best --out runs/cnn     # or: python scripts/train.py ...

Writes into --out the weights (.safetensors), the history (JSON), the learning
curves, 25 misclassified test digits and the confusion matrix (PNGs).
"""
import argparse

import jax
from tqdm import tqdm

from mnist_flax.data import ENV_VAR, load_mnist
from mnist_flax.recipe import OPTIMIZERS, RECIPE_NAMES
from mnist_flax.registry import MODELS, get_model_entry
from mnist_flax.runs import Run
from mnist_flax.training import Progress


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="mnist-flax-train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=list(MODELS), help="architecture from the registry")
    p.add_argument("--recipe", default="best", choices=RECIPE_NAMES,
                   help="the Keras tutorial's recipe, or the project's better one (default: best)")
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    p.add_argument("--lr", type=float, help="override the recipe's (peak) learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="override the recipe's optimiser")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling, dropout and augmentation")
    p.add_argument("--train-size", type=int, help="train on only the first N images of the recipe's split")
    p.add_argument("--data-dir", help=f"folder with the four official MNIST .gz files (default: ${ENV_VAR}, "
                                      "else downloaded by tensorflow-datasets)")
    p.add_argument("--out", default="runs", help="output folder (default: runs)")
    return p.parse_args(argv)


def train(argv=None):
    args = parse_args(argv)
    recipe = get_model_entry(args.model).recipe(args.recipe).replace(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, optimizer=args.optimizer)
    data = load_mnist(args.data_dir)
    print(f"{args.model}, {args.recipe} recipe on {jax.device_count()} {jax.default_backend()} device(s): {recipe}")
    bar = tqdm(total=None, unit="step", dynamic_ncols=True)

    def show(p: Progress):
        bar.total = p.total_steps
        bar.update(p.step - bar.n)
        bar.set_postfix(loss=f"{p.loss:.4f}", acc=f"{p.accuracy:.4f}", img_s=f"{p.images_per_sec:.0f}")
        if p.val_accuracy is not None:
            bar.write(f"epoch {p.epoch:6.2f}  loss {p.loss:.4f}  acc {p.accuracy:.4f}  "
                      f"val_loss {p.val_loss:.4f}  val_acc {p.val_accuracy:.4f}  ({p.elapsed:.0f} s)")

    run = Run(args.model, recipe, data, seed=args.seed, train_size=args.train_size).complete(show)
    bar.close()
    weights = run.write(args.out, label=args.recipe)
    print(f"test accuracy {run.evaluation.accuracy:.4f}, loss {run.evaluation.loss:.4f}, "
          f"{run.wall_time:.1f} s; weights in {weights}")
