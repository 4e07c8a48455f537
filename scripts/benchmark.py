"""Speed of training and prediction for every registry model, printed as tables and written as JSON.

    python scripts/benchmark.py                          # all models, batch 32 and 128
    python scripts/benchmark.py --compare --peer-python /path/to/venv/bin/python   # + Keras/TF, PyTorch
    python scripts/benchmark.py --models cnn --batch-sizes 32 --variants
    python scripts/benchmark.py --tiny                   # a seconds-long smoke run (used by the tests)

Training: ms/step and s/epoch (50,000 images) after warm-up, the median of
several windows; achieved GFLOP/s (3x the forward FLOPs XLA reports) and its
fraction of a large fp32 matmul measured in the same run. --variants also times
one jit call per step against many steps in one lax.scan, whole-batch gradients
against micro-batches of 32, each epoch's order drawn by the host (numpy) against drawn
on the device, jaxlib's default YNNPACK convolutions against
the Eigen ones mnist_flax selects (mnist_flax/xla_flags.py), and XLA's own first
convolution against mnist_flax/convolution.py's. scripts/kernel_benchmark.py
times the single layers behind these choices. --compare runs the
same models in Keras on TensorFlow and in PyTorch (scripts/peer_benchmark.py,
requirements-compare.txt), each in its own process, right after ours for every
model and batch size, and prints the time ratios. Prediction: one image and
all five models on one image, p50/p99 latency. Benchmarks never run as timed tests.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
from flax import nnx

import mnist_flax
from mnist_flax import MODELS, Recipe, train
from mnist_flax.data import random_split
from mnist_flax.checkpoints import load_checkpoint, save_checkpoint
from mnist_flax.models import forward_flops
from mnist_flax.prediction import Predictor, bundled_weights_path
from mnist_flax.training import default_steps_per_call
from mnist_flax.xla_flags import YNN_FUSION_FLAG

EPOCH_IMAGES = 50_000
ROOT = Path(__file__).resolve().parents[1]
PEERS = ("keras", "torch")
YNNPACK_CONVOLUTIONS = f"{YNN_FUSION_FLAG}=+individual_convolution"  # jaxlib's default


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a = jax.random.normal(jax.random.key(0), (n, n))
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    start = time.perf_counter()
    for _ in range(repeats):
        f(a).block_until_ready()
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def time_training(name, batch_size, steps_per_call=None, micro_batches=None, shuffle_on_device=None, windows=5,
                  window_steps=None, xla_convolutions=False):
    """Median ms/step over ``windows`` windows after one warm-up window (compilation).
    ``xla_convolutions``: every conv layer uses plain ``lax.conv_general_dilated`` (no
    mnist_flax/convolution.py fast path for the first layer)."""
    model = MODELS[name].build(0)
    if xla_convolutions:
        for _, conv in nnx.iter_modules(model):
            if isinstance(conv, nnx.Conv):
                conv.conv_general_dilated = jax.lax.conv_general_dilated
    window_steps = window_steps or max(10, 4000 // batch_size)
    per_call = steps_per_call or default_steps_per_call(model)
    window_steps = -(-window_steps // per_call) * per_call  # whole calls: records fall on call boundaries
    split = random_split(EPOCH_IMAGES)  # an epoch of random images: epoch boundaries fall where they do in training
    recipe = Recipe(optimizer="sgd", learning_rate=0.01, batch_size=batch_size)
    ticks = [p.elapsed for p in train(model, recipe, split, steps=window_steps * (windows + 1),
                                      log_every=window_steps, steps_per_call=steps_per_call,
                                      micro_batches=micro_batches, shuffle_on_device=shuffle_on_device)]
    return statistics.median(np.diff(ticks)) / window_steps * 1000


def time_training_with_ynnpack(name, batch_size, windows, window_steps):
    """``time_training`` in a fresh process whose convolutions use jaxlib's default, YNNPACK."""
    code = (f"import benchmark; print(benchmark.time_training({name!r}, {batch_size}, windows={windows}, "
            f"window_steps={window_steps}))")
    env = {**os.environ, "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {YNNPACK_CONVOLUTIONS}"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "scripts", env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def time_peer(python, framework, name, batch_size, windows, window_steps):
    """ms/step of ``framework`` in its own process (scripts/peer_benchmark.py), or None with the reason printed."""
    cmd = [python, str(ROOT / "scripts" / "peer_benchmark.py"), "--framework", framework, "--model", name,
           "--batch-size", str(batch_size), "--windows", str(windows)]
    if window_steps:
        cmd += ["--window-steps", str(window_steps)]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {framework} skipped for {name}, batch {batch_size}: {reason} "
              f"(install requirements-compare.txt into the --peer-python environment)", flush=True)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["ms_per_step"]


def latencies(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def predictors(tmp: Path):
    """Bundled models where present, else untrained ones (latency does not depend on the weights)."""
    out = {}
    for name, entry in MODELS.items():
        path = bundled_weights_path(name)
        if not path.is_file():
            path = save_checkpoint(tmp / f"{name}.safetensors", entry.build(0), name, entry.best)
        out[name] = Predictor(load_checkpoint(path))
    return out


COLD_START = """
import time, numpy as np
import mnist_flax
from mnist_flax.prediction import enable_compilation_cache, load_bundled_models
enable_compilation_cache({cache!r})
models = load_bundled_models()
image = np.zeros((28, 28), np.uint8)
for m in models.values():
    m.predict(image)
print(len(models))
"""


def cold_start(runs: int = 2) -> list[float]:
    """Seconds from process start to the first prediction of every bundled model; the first run has
    an empty persistent compilation cache, the others find it warm."""
    with tempfile.TemporaryDirectory() as cache:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", COLD_START.format(cache=cache)], check=True, cwd=ROOT,
                           capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def table(rows, columns):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 128])
    p.add_argument("--variants", action="store_true",
                   help="also time the per-step/scan, micro-batch, order, convolution-library and first-conv variants")
    p.add_argument("--compare", action="store_true", help="also time Keras on TensorFlow and PyTorch, side by side")
    p.add_argument("--peer-python", default=sys.executable,
                   help="the Python with requirements-compare.txt installed (default: this one)")
    p.add_argument("--windows", type=int, default=5, help="timed windows per measurement")
    p.add_argument("--tiny", action="store_true", help="a few steps only: checks the script runs")
    p.add_argument("--json", default="benchmark.json", help="where to write the figures")
    args = p.parse_args(argv)
    windows, window_steps, repeats = (2, 4, 5) if args.tiny else (args.windows, None, 200)

    roofline = matmul_gflops(256 if args.tiny else 2048)
    machine = f"{platform.processor() or platform.machine()}, {jax.device_count()} {jax.default_backend()} device(s)"
    print(f"{machine}; fp32 matmul roofline {roofline:.0f} GFLOP/s")
    variants = [("default", {})]
    if args.variants:
        variants += [("one step per call", {"steps_per_call": 1}), ("50 steps per lax.scan", {"steps_per_call": 50}),
                     ("whole batch, no micro-batches", {"micro_batches": 1}),
                     ("order drawn by the host", {"shuffle_on_device": False}),
                     ("order drawn on the device", {"shuffle_on_device": True}),
                     ("YNNPACK convolutions (jaxlib default)", {"ynnpack": True}),
                     ("XLA's own first convolution", {"xla_convolutions": True})]
    rows, side_by_side = [], []
    for name in args.models:
        flops = 3 * forward_flops(MODELS[name].build(0))  # forward + two gradients per image
        has_conv = "cnn" in name
        for batch in args.batch_sizes:
            for label, kw in variants:
                if (kw.get("micro_batches") or kw.get("ynnpack") or kw.get("xla_convolutions")) and not has_conv:
                    continue
                if kw.get("micro_batches") and batch <= 32:
                    continue
                if kw.get("ynnpack") and jax.default_backend() != "cpu":  # a CPU library
                    continue
                if kw.get("ynnpack"):
                    ms = time_training_with_ynnpack(name, batch, windows, window_steps)
                else:
                    ms = time_training(name, batch, windows=windows, window_steps=window_steps, **kw)
                gflops = flops * batch / ms / 1e6
                rows.append(dict(model=name, batch=batch, variant=label, ms_per_step=round(ms, 2),
                                 s_per_epoch=round(ms * EPOCH_IMAGES / batch / 1000, 1),
                                 gflops=round(gflops, 1), roofline_pct=round(100 * gflops / roofline, 1)))
                print(table(rows[-1:], list(rows[-1])).splitlines()[-1], flush=True)
            if args.compare:  # right after our own figure for this model and batch size
                ours = next(r for r in rows if (r["model"], r["batch"], r["variant"]) == (name, batch, "default"))
                row = dict(model=name, batch=batch, mnist_flax=ours["s_per_epoch"])
                for peer in PEERS:
                    ms = time_peer(args.peer_python, peer, name, batch, windows, window_steps)
                    row[peer] = "-" if ms is None else round(ms * EPOCH_IMAGES / batch / 1000, 1)
                    row[f"ratio_{peer}"] = "-" if ms is None else round(ours["ms_per_step"] / ms, 2)
                side_by_side.append(row)
                print(table(side_by_side[-1:], list(row)).splitlines()[-1], flush=True)

    with jax.default_device(jax.devices()[0]):
        with tempfile.TemporaryDirectory() as tmp:
            models = predictors(Path(tmp))
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 6:22, 12:16] = 255
    latency = [dict(model=n, **dict(zip(("p50_ms", "p99_ms"), map(lambda v: round(v, 3), latencies(
        lambda m=m: m.predict(image), repeats))))) for n, m in models.items()]
    latency.append(dict(model="all five", **dict(zip(("p50_ms", "p99_ms"), map(lambda v: round(v, 3), latencies(
        lambda: [m.predict(image) for m in models.values()], repeats))))))

    print("\nTraining\n" + table(rows, ["model", "batch", "variant", "ms_per_step", "s_per_epoch", "gflops",
                                        "roofline_pct"]))
    if side_by_side:
        print("\nSide by side, s/epoch of 50,000 images (ratio: mnist_flax's time / the peer's; below 1 is faster)\n"
              + table(side_by_side, list(side_by_side[0])))
    print("\nPrediction of one 28x28 image\n" + table(latency, ["model", "p50_ms", "p99_ms"]))
    starts = cold_start(1 if args.tiny else 3)
    print(f"\nProcess start to first prediction of every bundled model: {starts[0]:.2f} s cold (empty "
          f"compilation cache)" + (f", {min(starts[1:]):.2f} s warm" if len(starts) > 1 else ""))
    Path(args.json).write_text(json.dumps({"machine": machine, "matmul_gflops": roofline, "training": rows,
                                           "side_by_side": side_by_side, "prediction": latency, "cold_start_s": starts,
                                           "mnist_flax": mnist_flax.__version__}, indent=1))


if __name__ == "__main__":
    main()
