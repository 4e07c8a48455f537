"""Train one registry model with its tutorial or best recipe, on CPU or GPU.

    mnist-flax-train --model cnn --recipe best --out runs/cnn     # or: python scripts/train.py ...

Writes into --out the weights (.safetensors), the history (JSON), the learning
curves, 25 misclassified test digits and the confusion matrix (PNGs). Training uses
every local device; with --coordinator-address, --num-processes and --process-id (or
$JAX_COORDINATOR_ADDRESS, $JAX_NUM_PROCESSES, $JAX_PROCESS_ID) the same command, run
once per process, trains across processes and machines, and the first process writes.
"""

import argparse

import jax
from tqdm import tqdm

from mnist_flax import distributed
from mnist_flax.data import ENV_VAR, load_mnist, read_idx_split
from mnist_flax.prediction import load_model
from mnist_flax.recipe import OPTIMIZERS, RECIPE_NAMES
from mnist_flax.registry import MODELS, get_model_entry
from mnist_flax.runs import Run
from mnist_flax.training import Progress


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="mnist-flax-train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", required=True, choices=list(MODELS), help="architecture from the registry")
    p.add_argument(
        "--recipe",
        default="best",
        choices=RECIPE_NAMES,
        help="the Keras tutorial's recipe, or the project's better one (default: best)",
    )
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    p.add_argument("--lr", type=float, help="override the recipe's (peak) learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="override the recipe's optimiser")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling, dropout and augmentation")
    p.add_argument("--train-size", type=int, help="train on only the first N images of the recipe's split")
    p.add_argument(
        "--data-dir",
        help=f"folder with the four official MNIST .gz files (default: ${ENV_VAR}, "
        "else downloaded by tensorflow-datasets)",
    )
    p.add_argument(
        "--init",
        help="start from these weights (a bundled model's name or a .safetensors file) "
        "instead of a fresh initialisation: fine-tuning",
    )
    p.add_argument(
        "--extra-train",
        metavar="FOLDER",
        help="add the digits of FOLDER's feedback-*.gz IDX files (scripts/feedback.py --export) to the training split",
    )
    p.add_argument(
        "--order",
        choices=("host", "device"),
        help="who draws each epoch's order of the images: the host (numpy; the default on CPU) or the "
        "device (jax.random; the default on GPUs)",
    )
    p.add_argument("--out", default="runs", help="output folder (default: runs)")
    p.add_argument("--coordinator-address", help="host:port of process 0, to train across processes (jax.distributed)")
    p.add_argument("--num-processes", type=int, help="how many processes train together")
    p.add_argument("--process-id", type=int, help="this process's number, 0 to --num-processes - 1")
    return p.parse_args(argv)


def train(argv=None):
    args = parse_args(argv)
    distributed.initialize(args.coordinator_address, args.num_processes, args.process_id)
    main = distributed.is_main_process()
    recipe = (
        get_model_entry(args.model)
        .recipe(args.recipe)
        .replace(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, optimizer=args.optimizer)
    )
    data = load_mnist(args.data_dir)
    extra = read_idx_split(args.extra_train, "feedback") if args.extra_train else None
    model = None
    if args.init:
        start = load_model(args.init)
        if start.name != args.model:
            raise SystemExit(f"--init {args.init} holds a {start.name}, not a {args.model}")
        model = start.model
    print(
        f"{args.model}, {args.recipe} recipe on {jax.device_count()} {jax.default_backend()} device(s) in "
        f"{jax.process_count()} process(es), this one number {jax.process_index()}: {recipe}"
    )
    bar = tqdm(total=None, unit="step", dynamic_ncols=True, disable=not main)

    def show(p: Progress):
        bar.total = p.total_steps
        bar.update(p.step - bar.n)
        bar.set_postfix(loss=f"{p.loss:.4f}", acc=f"{p.accuracy:.4f}", img_s=f"{p.images_per_sec:.0f}")
        if p.val_accuracy is not None:
            bar.write(
                f"epoch {p.epoch:6.2f}  loss {p.loss:.4f}  acc {p.accuracy:.4f}  "
                f"val_loss {p.val_loss:.4f}  val_acc {p.val_accuracy:.4f}  ({p.elapsed:.0f} s)"
            )

    run = Run(
        args.model, recipe, data, seed=args.seed, train_size=args.train_size, model=model, extra_train=extra
    ).complete(
        show if main else lambda p: None, shuffle_on_device=None if args.order is None else args.order == "device"
    )
    bar.close()
    where = f"weights in {run.write(args.out, label=args.recipe)}" if main else "the first process writes"
    print(
        f"test accuracy {run.evaluation.accuracy:.4f}, loss {run.evaluation.loss:.4f}, {run.wall_time:.1f} s; {where}"
    )
