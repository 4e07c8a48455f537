"""Train one registry model with its tutorial or best recipe, on CPU or GPU.

    python scripts/train.py --model cnn --recipe best --out runs/cnn

Writes into --out the weights (.safetensors), the history (JSON), the learning
curves, 25 misclassified test digits and the confusion matrix (PNGs).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
from tqdm import tqdm  # noqa: E402

import mnist_flax  # noqa: E402
from mnist_flax import runs  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=list(mnist_flax.MODELS), help="architecture from the registry")
    p.add_argument("--recipe", default="best", choices=["tutorial", "best"],
                   help="the Keras tutorial's recipe, or the project's better one (default: best)")
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    p.add_argument("--lr", type=float, help="override the recipe's (peak) learning rate")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "rmsprop", "adam", "adamw"],
                   help="override the recipe's optimiser")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling, dropout and augmentation")
    p.add_argument("--train-size", type=int, help="train on only the first N images of the recipe's split")
    p.add_argument("--data-dir", help=f"folder with the four official MNIST .gz files (default: ${mnist_flax.data.ENV_VAR}, "
                                      "else downloaded by tensorflow-datasets)")
    p.add_argument("--out", default="runs", help="output folder (default: runs)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    recipe = mnist_flax.get_model_entry(args.model).recipe(args.recipe).replace(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, optimizer=args.optimizer)
    data = mnist_flax.load_mnist(args.data_dir)
    print(f"{args.model}, {args.recipe} recipe on {jax.device_count()} {jax.default_backend()} device(s): {recipe}")
    bar = tqdm(total=None, unit="step", dynamic_ncols=True)

    def show(p: mnist_flax.Progress):
        bar.total = p.total_steps
        bar.update(p.step - bar.n)
        bar.set_postfix(loss=f"{p.loss:.4f}", acc=f"{p.accuracy:.4f}", img_s=f"{p.images_per_sec:.0f}")
        if p.val_accuracy is not None:
            bar.write(f"epoch {p.epoch:6.2f}  loss {p.loss:.4f}  acc {p.accuracy:.4f}  "
                      f"val_loss {p.val_loss:.4f}  val_acc {p.val_accuracy:.4f}  ({p.elapsed:.0f} s)")

    result = runs.run(args.model, recipe, data, seed=args.seed, train_size=args.train_size, on_progress=show)
    bar.close()
    weights = runs.write(result, data, args.out, label=args.recipe)
    print(f"test accuracy {result.test.accuracy:.4f}, loss {result.test.loss:.4f}, "
          f"{result.wall_time:.1f} s; weights in {weights}")


if __name__ == "__main__":
    main()
