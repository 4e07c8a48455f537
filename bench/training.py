"""Training speed per model and batch, prediction latency and cold start (speed.md, docs/bench/training.json).

    python -m bench training                          # all models, batch 32 and 128
    python -m bench training --models cnn --batch-sizes 32 --variants
    python -m bench training --compare --peer-python /path/to/venv/bin/python   # + Keras/TF, PyTorch
    python -m bench training --tiny                   # a seconds-long smoke run (the tests)

Training: ms/step and s/epoch (50,000 images), the median of several windows after a warm-up window; the
achieved GFLOP/s (3x the forward FLOPs XLA reports) against a large fp32 matmul timed in the same run.
--variants also times one jit call per step against many steps in one lax.scan, whole-batch gradients against
micro-batches of 32, each epoch's order drawn by the host (numpy) against on the device, jaxlib's default
YNNPACK convolutions against the Eigen ones mnist_flax selects (mnist_flax/xla_flags.py), and XLA's own first
convolution against mnist_flax/convolution.py's (``python -m bench kernels`` times the single layers).
--compare times Keras and PyTorch right after ours (``python -m bench peers``). Prediction: one image, and all
five models on one image, p50/p99. Cold start: process start to the first prediction of every bundled model.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import jax
import numpy as np
from flax import nnx

import mnist_flax
from bench import harness, peers
from bench.peers import EPOCH_IMAGES
from mnist_flax import MODELS, Recipe, train
from mnist_flax.checkpoints import load_checkpoint, save_checkpoint
from mnist_flax.data import random_split
from mnist_flax.models import forward_flops
from mnist_flax.prediction import Predictor, bundled_weights_path
from mnist_flax.training import default_steps_per_call
from mnist_flax.xla_flags import YNN_FUSION_FLAG

YNNPACK_CONVOLUTIONS = f"{YNN_FUSION_FLAG}=+individual_convolution"  # jaxlib's default
VARIANTS = {
    "default": {},
    "one step per call": {"steps_per_call": 1},
    "50 steps per lax.scan": {"steps_per_call": 50},
    "whole batch, no micro-batches": {"micro_batches": 1},
    "order drawn by the host": {"shuffle_on_device": False},
    "order drawn on the device": {"shuffle_on_device": True},
    "YNNPACK convolutions (jaxlib default)": {"ynnpack": True},
    "XLA's own first convolution": {"xla_convolutions": True},
}
COLD_START = """
import numpy as np
import mnist_flax
from mnist_flax.prediction import enable_compilation_cache, load_bundled_models
enable_compilation_cache({cache!r})
for model in load_bundled_models().values():
    model.predict(np.zeros((28, 28), np.uint8))
"""


def add_arguments(p):
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 128])
    p.add_argument(
        "--variants",
        action="store_true",
        help="also time the per-step/scan, micro-batch, order, convolution-library and first-conv variants",
    )
    p.add_argument("--compare", action="store_true", help="also time Keras on TensorFlow and PyTorch, side by side")
    peers.add_peer_python(p)
    p.add_argument("--windows", type=int, default=5, help="timed windows per measurement")
    p.add_argument("--steps-only", action="store_true", help="time the training steps only (no prediction, cold start)")
    p.add_argument("--tiny", action="store_true", help="a few steps only: checks that it runs")


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """The device's fp32 matmul rate, the roofline the models' rates are read against."""
    a = jax.random.normal(jax.random.key(0), (n, n))
    f = jax.jit(lambda a: a @ a)
    return 2 * n**3 / np.mean(harness.latencies(lambda: f(a).block_until_ready(), repeats)) / 1e6


def time_training(
    name,
    batch_size,
    steps_per_call=None,
    micro_batches=None,
    shuffle_on_device=None,
    windows=5,
    window_steps=None,
    xla_convolutions=False,
) -> float:
    """ms/step of the library's own training loop on an epoch of random images (epoch boundaries fall where
    they do in training). ``xla_convolutions``: every conv layer uses plain ``lax.conv_general_dilated``."""
    model = MODELS[name].build(0)
    if xla_convolutions:
        for _, conv in nnx.iter_modules(model):
            if isinstance(conv, nnx.Conv):
                conv.conv_general_dilated = jax.lax.conv_general_dilated
    window_steps = window_steps or max(10, 4000 // batch_size)
    per_call = steps_per_call or default_steps_per_call(model)
    window_steps = -(-window_steps // per_call) * per_call  # whole calls: records fall on call boundaries
    recipe = Recipe(optimizer="sgd", learning_rate=0.01, batch_size=batch_size)
    ticks = [
        p.elapsed
        for p in train(
            model,
            recipe,
            random_split(EPOCH_IMAGES),
            steps=window_steps * (windows + 1),
            log_every=window_steps,
            steps_per_call=steps_per_call,
            micro_batches=micro_batches,
            shuffle_on_device=shuffle_on_device,
        )
    ]
    return harness.per_step_ms(ticks, window_steps)


def time_training_with_ynnpack(name, batch_size, windows, window_steps) -> float:
    """``time_training`` in a fresh process whose convolutions use jaxlib's default, YNNPACK."""
    code = (
        f"from bench.training import time_training; print(time_training({name!r}, {batch_size}, "
        f"windows={windows}, window_steps={window_steps}))"
    )
    env = {**os.environ, "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {YNNPACK_CONVOLUTIONS}"}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def training_rows(args, windows, window_steps, roofline) -> tuple[list[dict], list[dict]]:
    rows, side_by_side = [], []
    for name in args.models:
        flops = 3 * forward_flops(MODELS[name].build(0))  # forward + two gradients per image
        for batch in args.batch_sizes:
            for label, kw in VARIANTS.items() if args.variants else [("default", {})]:
                conv_only = kw.get("micro_batches") or kw.get("ynnpack") or kw.get("xla_convolutions")
                if (
                    (conv_only and "cnn" not in name)
                    or (kw.get("micro_batches") and batch <= 32)
                    or (kw.get("ynnpack") and jax.default_backend() != "cpu")
                ):  # YNNPACK: a CPU library
                    continue
                if kw.get("ynnpack"):
                    ms = time_training_with_ynnpack(name, batch, windows, window_steps)
                else:
                    ms = time_training(name, batch, windows=windows, window_steps=window_steps, **kw)
                gflops = flops * batch / ms / 1e6
                rows.append(
                    dict(
                        model=name,
                        batch=batch,
                        variant=label,
                        ms_per_step=round(ms, 2),
                        s_per_epoch=round(ms * EPOCH_IMAGES / batch / 1000, 1),
                        gflops=round(gflops, 1),
                        roofline_pct=round(100 * gflops / roofline, 1),
                    )
                )
                harness.note(f"{name}, batch {batch}, {label}: {ms:.2f} ms/step")
            if args.compare:  # right after our own figure for this model and batch size
                ours = next(r for r in rows if (r["model"], r["batch"], r["variant"]) == (name, batch, "default"))
                side_by_side.append(
                    peers.compare(args.peer_python, name, batch, ours["ms_per_step"], windows, window_steps)
                )
    return rows, side_by_side


def predictors(tmp: Path) -> dict[str, Predictor]:
    """Bundled models where present, else untrained ones (latency does not depend on the weights)."""
    out = {}
    for name, entry in MODELS.items():
        path = bundled_weights_path(name)
        if not path.is_file():
            path = save_checkpoint(tmp / f"{name}.safetensors", entry.build(0), name, entry.best)
        out[name] = Predictor(load_checkpoint(path))
    return out


def prediction_rows(repeats: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        models = predictors(Path(tmp))
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 6:22, 12:16] = 255
    calls = {name: lambda m=m: m.predict(image) for name, m in models.items()}
    calls["all five"] = lambda: [m.predict(image) for m in models.values()]
    return [
        dict(
            model=name,
            **dict(
                zip(
                    ("p50_ms", "p99_ms"),
                    (round(v, 3) for v in harness.percentiles(harness.latencies(call, repeats), 50, 99)),
                )
            ),
        )
        for name, call in calls.items()
    ]


def cold_start(runs: int) -> list[float]:
    """Seconds from process start to the first prediction of every bundled model; the first run has an empty
    persistent compilation cache, the others find it warm."""
    with tempfile.TemporaryDirectory() as cache:
        start = [sys.executable, "-c", COLD_START.format(cache=cache)]
        ms = harness.timed(lambda _: subprocess.run(start, check=True, capture_output=True), range(runs), warmup=0)[1]
    return list(ms / 1000)


def markdown(figures: dict, variants: bool) -> str:
    header = [
        "model",
        *(["variant"] if variants else []),
        "batch",
        "ms/step",
        "s/epoch",
        "GFLOP/s",
        "% of the matmul rate",
    ]
    rows = [
        [
            r["model"],
            *([r["variant"]] if variants else []),
            r["batch"],
            r["ms_per_step"],
            r["s_per_epoch"],
            r["gflops"],
            r["roofline_pct"],
        ]
        for r in figures["training"]
    ]
    text = (
        f"Training, epochs of {EPOCH_IMAGES:,} images, the median of the timed windows; the fp32 matmul rate "
        f"measured in the same run: {figures['matmul_gflops']:.0f} GFLOP/s.\n\n"
        + harness.table(header, rows, align="ll" if variants else "l")
    )
    if figures["side_by_side"]:
        text += "\n\n" + peers.markdown(figures["side_by_side"])
    if figures["prediction"]:
        text += "\n\nPrediction of one 28x28 image (`Predictor.predict`):\n\n" + harness.table(
            ["model", "p50 (ms)", "p99 (ms)"], [[r["model"], r["p50_ms"], r["p99_ms"]] for r in figures["prediction"]]
        )
    if starts := figures["cold_start_s"]:
        text += (
            f"\n\nProcess start to the first prediction of every bundled model: {starts[0]:.2f} s cold (empty "
            "compilation cache)" + (f", {min(starts[1:]):.2f} s warm" if len(starts) > 1 else "") + "."
        )
    return text


def run(args):
    windows, window_steps, repeats = (1, 4, 5) if args.tiny else (args.windows, None, 200)
    roofline = matmul_gflops(256 if args.tiny else 2048)
    rows, side_by_side = training_rows(args, windows, window_steps, roofline)
    figures = {
        "machine": harness.machine(),
        "matmul_gflops": roofline,
        "training": rows,
        "side_by_side": side_by_side,
        "prediction": [],
        "cold_start_s": [],
        "mnist_flax": mnist_flax.__version__,
    }
    if not args.steps_only:
        with jax.default_device(jax.devices()[0]):
            figures["prediction"] = prediction_rows(repeats)
        figures["cold_start_s"] = cold_start(1 if args.tiny else 3)
    harness.write_json(args.docs / "bench" / "training.json", figures)
    harness.publish(args.docs / "speed.md", "training", args.command, markdown(figures, args.variants))
