"""Training speed of the five models in Keras on TensorFlow and in PyTorch, beside ours (speed.md).

    python -m bench peers --peer-python /path/to/venv/bin/python   # a virtualenv with requirements-compare.txt
    python -m bench peers --models cnn --batch-sizes 32

For each model and batch size it times mnist_flax's training step, then each peer right after it, each in its
own process of --peer-python running this module (``python -m bench.peers --framework keras --model cnn``),
which imports nothing from mnist_flax, so that TensorFlow, PyTorch and JAX never share a process. The peers
train the tutorials' layers with SGD, lr 0.01, on random uint8 images scaled to 0..1 like ours; Keras runs
``model.fit`` (its default graph mode, or XLA with ``--jit``), PyTorch an eager loop on every core.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from bench import harness

EPOCH_IMAGES = 50_000  # what s/epoch counts, here and in ``bench.training``
PEERS = {"keras": "Keras/TF", "torch": "PyTorch"}
WIDTHS = {"vanilla_mlp": ([50] * 4, "sigmoid"), "shallow_mlp": ([512], "relu"), "mlp": ([256] * 3, "relu")}
# ("conv", filters) 3x3 valid + relu, ("pool",) 2x2, ("drop", rate), ("dense", units) + relu
CONV_LAYERS = {
    "cnn": [("conv", 32), ("pool",), ("conv", 32), ("pool",), ("dense", 256)],
    "deep_cnn": [
        ("conv", 32),
        ("conv", 32),
        ("pool",),
        ("drop", 0.25),
        ("conv", 64),
        ("conv", 64),
        ("pool",),
        ("drop", 0.25),
        ("dense", 256),
        ("drop", 0.5),
    ],
}
MODELS = [*WIDTHS, *CONV_LAYERS]


def add_peer_python(p):
    p.add_argument(
        "--peer-python",
        default=sys.executable,
        help="the Python with requirements-compare.txt installed (default: this one)",
    )


def add_arguments(p):
    p.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 128])
    add_peer_python(p)
    p.add_argument("--windows", type=int, default=5, help="timed windows per measurement")
    p.add_argument("--tiny", action="store_true", help="a few steps only: checks that it runs")


def time_peer(python, framework, name, batch_size, windows, window_steps) -> float | None:
    """ms/step of ``framework`` in its own process, or None (the reason noted) when it cannot run there."""
    cmd = [
        python,
        "-m",
        "bench.peers",
        "--framework",
        framework,
        "--model",
        name,
        "--batch-size",
        str(batch_size),
        "--windows",
        str(windows),
    ] + (["--window-steps", str(window_steps)] if window_steps else [])
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=harness.ROOT,  # finds bench without installing
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        harness.note(
            f"{framework} skipped for {name}, batch {batch_size}: {reason} "
            f"(install requirements-compare.txt into the --peer-python environment)"
        )
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["ms_per_step"]


def compare(python, name, batch_size, ours_ms, windows, window_steps) -> dict:
    """s/epoch of mnist_flax (``ours_ms`` per step) and of each peer timed now, with the ratios of the times."""
    row = dict(model=name, batch=batch_size, mnist_flax=round(ours_ms * EPOCH_IMAGES / batch_size / 1000, 1))
    for peer in PEERS:
        ms = time_peer(python, peer, name, batch_size, windows, window_steps)
        row[peer] = "-" if ms is None else round(ms * EPOCH_IMAGES / batch_size / 1000, 1)
        row[f"ratio_{peer}"] = "-" if ms is None else round(ours_ms / ms, 2)
    return row


def markdown(rows: list[dict]) -> str:
    header = ["model", "batch", "mnist_flax s/epoch"] + [h for p in PEERS.values() for h in (f"{p} s/epoch", "ratio")]
    cells = [[r["model"], r["batch"], r["mnist_flax"], *(r[k] for p in PEERS for k in (p, f"ratio_{p}"))] for r in rows]
    return (
        f"Side by side, s/epoch of {EPOCH_IMAGES:,} images (ratio: mnist_flax's time over the peer's; below 1, "
        "mnist_flax is faster):\n\n" + harness.table(header, cells)
    )


def run(args):
    from bench.training import time_training  # JAX only here: never in the peers' own processes

    windows, window_steps = (1, 4) if args.tiny else (args.windows, None)
    rows = [
        compare(
            args.peer_python,
            name,
            batch,
            time_training(name, batch, windows=windows, window_steps=window_steps),
            windows,
            window_steps,
        )
        for name in args.models
        for batch in args.batch_sizes
    ]
    harness.publish(args.docs / "speed.md", "peers", args.command, markdown(rows))


def keras_model(name):
    import keras
    from keras import layers

    if name in WIDTHS:
        widths, activation = WIDTHS[name]
        stack = [layers.Input((28, 28)), layers.Flatten()] + [layers.Dense(w, activation) for w in widths]
    else:
        stack = [layers.Input((28, 28, 1))]
        for kind, *arg in CONV_LAYERS[name]:
            if kind == "conv":
                stack.append(layers.Conv2D(arg[0], 3, activation="relu"))
            elif kind == "pool":
                stack.append(layers.MaxPooling2D(2))
            elif kind == "drop":
                stack.append(layers.Dropout(arg[0]))
            else:
                stack += [layers.Flatten(), layers.Dense(arg[0], "relu")]
    return keras.Sequential(stack + [layers.Dense(10)])


def torch_model(name):
    from torch import nn

    if name in WIDTHS:
        widths, activation = WIDTHS[name]
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
        sizes = [28 * 28, *widths]
        return nn.Sequential(
            nn.Flatten(),
            *[m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), act())],
            nn.Linear(sizes[-1], 10),
        )
    stack, channels, side = [], 1, 28
    for kind, *arg in CONV_LAYERS[name]:
        if kind == "conv":
            stack += [nn.Conv2d(channels, arg[0], 3), nn.ReLU()]
            channels, side = arg[0], side - 2
        elif kind == "pool":
            stack.append(nn.MaxPool2d(2))
            side //= 2
        elif kind == "drop":
            stack.append(nn.Dropout(arg[0]))
        else:
            stack += [nn.Flatten(), nn.Linear(channels * side * side, arg[0]), nn.ReLU()]
            channels, side = arg[0], 1
    return nn.Sequential(*stack, nn.Linear(channels, 10))


def time_keras(name, images, labels, batch_size, windows, window_steps, jit) -> float:
    """One epoch of ``model.fit`` per window; the first holds the tracing."""
    import keras

    model = keras_model(name)
    model.compile(
        keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit
    )
    x = images[: window_steps * batch_size]
    x = x.reshape(-1, 28, 28, 1) if name in CONV_LAYERS else x
    ticks = []
    stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: ticks.append(time.perf_counter()))
    model.fit(
        x,
        labels[: window_steps * batch_size],
        batch_size=batch_size,
        epochs=windows + 1,
        shuffle=True,
        verbose=0,
        callbacks=[stamp],
    )
    return harness.per_step_ms(ticks, window_steps)


def time_torch(name, images, labels, batch_size, windows, window_steps) -> float:
    import torch

    torch.set_num_threads(os.cpu_count())
    model = torch_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.from_numpy(images).reshape(-1, 1, 28, 28) if name in CONV_LAYERS else torch.from_numpy(images)
    y = torch.from_numpy(labels).long()
    rng = np.random.default_rng(0)

    def step():
        idx = torch.from_numpy(rng.integers(0, len(x), batch_size))
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    return harness.windowed(step, windows, window_steps)


def worker(argv=None):
    """One framework, model and batch size in this process; prints {"ms_per_step": ...} as JSON."""
    p = argparse.ArgumentParser(prog="python -m bench.peers", description=worker.__doc__)
    p.add_argument("--framework", choices=list(PEERS), required=True)
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--window-steps", type=int)
    p.add_argument("--jit", action="store_true", help="Keras: compile with XLA (jit_compile=True)")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8192, 28, 28)).astype(np.float32) / 255.0
    labels = rng.integers(0, 10, 8192).astype(np.int32)
    window_steps = args.window_steps or max(10, 4000 // args.batch_size)
    if args.framework == "keras":
        ms = time_keras(args.model, images, labels, args.batch_size, args.windows, window_steps, args.jit)
    else:
        ms = time_torch(args.model, images, labels, args.batch_size, args.windows, window_steps)
    print(json.dumps({"ms_per_step": ms}))


if __name__ == "__main__":
    worker()
