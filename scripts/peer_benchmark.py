"""Training speed of the five tutorial models in Keras on TensorFlow or in PyTorch, for
``benchmark.py --compare``, which runs this file in its own process (with the Python that has
``requirements-compare.txt`` installed) and reads one JSON line from its output:

    python scripts/peer_benchmark.py --framework keras --model cnn --batch-size 32

It imports nothing from mnist_flax, so TensorFlow and JAX never share a process. The models are
the tutorials' layers; the recipe is SGD, lr 0.01, on random uint8 images scaled to 0..1 like ours.
Keras runs ``model.fit`` (its default graph mode, or XLA with ``--jit``); PyTorch an eager loop.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np

WIDTHS = {"vanilla_mlp": ([50] * 4, "sigmoid"), "shallow_mlp": ([512], "relu"), "mlp": ([256] * 3, "relu")}
# ("conv", filters) 3x3 valid + relu, ("pool",) 2x2, ("drop", rate), ("dense", units) + relu
CONV_LAYERS = {
    "cnn": [("conv", 32), ("pool",), ("conv", 32), ("pool",), ("dense", 256)],
    "deep_cnn": [("conv", 32), ("conv", 32), ("pool",), ("drop", 0.25), ("conv", 64), ("conv", 64), ("pool",),
                 ("drop", 0.25), ("dense", 256), ("drop", 0.5)],
}


def keras_model(name):
    import keras
    from keras import layers
    if name in WIDTHS:
        widths, activation = WIDTHS[name]
        stack = [layers.Input((28, 28)), layers.Flatten()] + [layers.Dense(w, activation) for w in widths]
    else:
        stack = [layers.Input((28, 28, 1))]
        for kind, *arg in CONV_LAYERS[name]:
            if kind == "dense":
                stack.append(layers.Flatten())
            stack.append({"conv": lambda: layers.Conv2D(arg[0], 3, activation="relu"),
                          "pool": lambda: layers.MaxPooling2D(2),
                          "drop": lambda: layers.Dropout(arg[0]),
                          "dense": lambda: layers.Dense(arg[0], "relu")}[kind]())
    return keras.Sequential(stack + [layers.Dense(10)])


def torch_model(name):
    from torch import nn
    if name in WIDTHS:
        widths, activation = WIDTHS[name]
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
        sizes = [28 * 28, *widths]
        return nn.Sequential(nn.Flatten(), *[m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), act())],
                             nn.Linear(sizes[-1], 10))
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


def time_keras(name, images, labels, batch_size, windows, window_steps, jit):
    import keras
    model = keras_model(name)
    model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit)
    x = images[: window_steps * batch_size]
    x = x.reshape(-1, 28, 28, 1) if name in CONV_LAYERS else x
    y = labels[: window_steps * batch_size]
    ticks = []
    stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: ticks.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=windows + 1, shuffle=True, verbose=0, callbacks=[stamp])
    return np.diff([start, *ticks])[1:]  # the first epoch holds the tracing


def time_torch(name, images, labels, batch_size, windows, window_steps):
    import torch
    torch.set_num_threads(os.cpu_count())
    model = torch_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.from_numpy(images).reshape(-1, 1, 28, 28) if name in CONV_LAYERS else torch.from_numpy(images)
    y = torch.from_numpy(labels).long()
    rng = np.random.default_rng(0)
    times = []
    for _ in range(windows + 1):
        start = time.perf_counter()
        for _ in range(window_steps):
            idx = torch.from_numpy(rng.integers(0, len(x), batch_size))
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return np.array(times[1:])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", choices=["keras", "torch"], required=True)
    p.add_argument("--model", choices=[*WIDTHS, *CONV_LAYERS], required=True)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--window-steps", type=int)
    p.add_argument("--jit", action="store_true", help="Keras: compile with XLA (jit_compile=True)")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    images = (rng.integers(0, 256, (8192, 28, 28)).astype(np.float32) / 255.0)
    labels = rng.integers(0, 10, 8192).astype(np.int32)
    window_steps = args.window_steps or max(10, 4000 // args.batch_size)
    if args.framework == "keras":
        times = time_keras(args.model, images, labels, args.batch_size, args.windows, window_steps, args.jit)
    else:
        times = time_torch(args.model, images, labels, args.batch_size, args.windows, window_steps)
    print(json.dumps({"ms_per_step": statistics.median(times) / window_steps * 1000}))


if __name__ == "__main__":
    main()
