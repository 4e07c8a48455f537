"""The reader and the judge on inputs built apart from their tuning, through every door (battery.md).

    python -m bench battery --half held_out --n 1000     # battery.md's figures; --half tuning to tune on

The inputs are ``mnist_flax.inputs.battery``'s families (its section is the page's body); the doors an image
comes in by:
- file: an image file as the API and MCP tools take it (``predict``, ``compare``, ... read it with ``reader.read``);
- upload: a photo or file uploaded on the page, whose ink goes onto the canvas and is read from there;
- canvas: a drawing made on the page's canvas (the drawing families: the ink the canvas holds).
For each family and door: each model's accuracy, the share read as blank ("Draw a digit"), the share the judge
flags as not a digit (for the non-digits, the share detected: flagged or blank) and the time to read one input;
then what the largest and the worst inputs cost the reader.
"""

import io
import os
import time
import tracemalloc

import numpy as np
from PIL import Image

import mnist_flax
from bench import harness
from mnist_flax import reader
from mnist_flax.inputs import battery
from mnist_flax.novelty import load_judge
from mnist_flax.prediction import load_bundled_models

DOORS = ("file", "upload", "canvas")


def add_arguments(p):
    p.add_argument("--half", choices=tuple(battery.HALVES), default="held_out")
    p.add_argument("--n", type=int, default=1000, help="inputs per family")
    p.add_argument("--families", nargs="+", choices=tuple(battery.FAMILIES), default=tuple(battery.FAMILIES))
    p.add_argument("--doors", nargs="+", choices=DOORS, default=DOORS)
    p.add_argument("--data-dir")


def through(door: str, sample: battery.Sample) -> np.ndarray | None:
    """The 28x28 digit the models see when ``sample`` comes in by ``door``; None when read as blank."""
    from demo.canvas import canvas_value, drawing_digit  # the page's own canvas encoding, as the app uses it

    try:
        if door == "file":
            return reader.read(io.BytesIO(sample.data)).digit
        ink = sample.ink if door == "canvas" else np.round(255 * reader.read(io.BytesIO(sample.data)).ink)
        return drawing_digit(canvas_value(ink.astype(np.uint8)))
    except reader.BlankSketchError:
        return None


def measure(samples: list[battery.Sample], door: str, models: dict, judge) -> dict:
    digits, ms = harness.timed(lambda sample: through(door, sample), samples)
    blank = np.array([d is None for d in digits])
    images = np.stack([np.zeros((28, 28), np.uint8) if d is None else d for d in digits])
    flagged = ~blank & ~judge.is_digit(images) if judge else np.zeros(len(samples), bool)
    labels = np.array([-1 if s.label is None else s.label for s in samples])
    row = {
        "n": len(samples),
        "blank": float(blank.mean()),
        "flagged": float(flagged.mean()),
        **dict(zip(("ms", "ms_p99"), harness.percentiles(ms, 50, 99))),
    }
    if samples[0].label is None:
        return {
            **row,
            "detected": float((blank | flagged).mean()),
            "by_kind": {
                k: float((blank | flagged)[i :: len(battery.NON_DIGIT_KINDS)].mean())
                for i, k in enumerate(battery.NON_DIGIT_KINDS)
            },
        }
    row["accuracy"] = {
        name: float(((m.predict(images).argmax(1) == labels) & ~blank).mean()) for name, m in models.items()
    }
    if samples[0].family == "mnist_files" and door == "file":
        arrays = np.stack([s.image() for s in samples])
        row["agrees_with_array"] = {
            name: float((m.predict(images).argmax(1) == m.predict(arrays).argmax(1)).mean())
            for name, m in models.items()
        }
    return row


def costly_inputs() -> list[list]:
    """What the largest and the worst inputs cost the reader: [input, outcome, ms, peak MiB allocated]."""
    rng = np.random.default_rng(0)
    big = np.full((4096, 4096), 255, np.uint8)
    big[1000:3000, 1800:2200] = 0  # a tall 1 on the largest page accepted
    noisy = np.clip(rng.normal(180, 40, (4096, 4096, 3)), 0, 255).astype(np.uint8)

    def encoded(array, kind, **options):
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, kind, **options)
        return buffer.getvalue()

    def outcome(value) -> str:
        try:
            return f"read as {reader.read(value).kind}"
        except reader.SketchError as e:
            return f"{type(e).__name__}: {e}"

    cases = {
        "4096x4096 PNG drawing (the largest accepted)": encoded(big, "PNG"),
        "4096x4096 JPEG of noise (a photo with nothing on it)": encoded(noisy, "JPEG", quality=90),
        "7000x7000 PNG (refused from its header)": encoded(np.full((7000, 7000), 255, np.uint8), "PNG"),
        "a text file named .png": b"not an image" * 1000,
        "2048x2048 float64 array of 0..255 (in-process)": big[::2, ::2].astype(np.float64),
    }
    rows = []
    for name, value in cases.items():  # once each, cold: the cost of one such input
        tracemalloc.start()
        outcomes, ms = harness.timed(outcome, [value], warmup=0)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rows.append([name, outcomes[0], f"{ms[0]:.0f}", f"{peak:.0f}"])
    return rows


def markdown(results: dict, costly: list, models: list[str], args, seconds: float) -> str:
    rows, notes = [], []
    for (name, door), r in results.items():
        time_cell = f"{r['ms']:.1f} ({r['ms_p99']:.0f})"
        if "accuracy" in r:
            rows.append(
                [
                    name,
                    door,
                    *(f"{r['accuracy'][m]:.2%}" for m in models),
                    f"{r['blank']:.1%}",
                    f"{r['flagged']:.1%}",
                    time_cell,
                ]
            )
            if "agrees_with_array" in r:
                notes.append(
                    "MNIST files through the file door give the answer the same model gives their arrays: "
                    + ", ".join(f"{m} {v:.2%}" for m, v in r["agrees_with_array"].items())
                    + "."
                )
        else:
            rows.append(
                [
                    name,
                    door,
                    *("–" for _ in models),
                    f"{r['blank']:.1%}",
                    f"**detected {r['detected']:.1%}**",
                    time_cell,
                ]
            )
            notes.append(
                f"Non-digits detected through the {door} door, by kind: "
                + ", ".join(f"{k} {v:.0%}" for k, v in r["by_kind"].items())
                + "."
            )
    held_out = "held out: never looked at while tuning" if args.half == "held_out" else "looked at while tuning"
    return (
        f"In {seconds:.0f} s. Half: **{args.half}** ({held_out}); {args.n} inputs per family. Accuracy counts a "
        'blank answer as wrong; flagged: the judge says "not a digit"; for the non-digits, detected = flagged '
        "or blank; ms: the time to read one input through the door (decoding, reading, and the canvas's encoding "
        "where there is one; not the models), median and 99th percentile, on "
        f"{len(os.sched_getaffinity(0))} cores.\n\n"
        + harness.table(["family", "door", *models, "blank", "flagged", "ms, median (p99)"], rows, align="ll")
        + "\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + "\n\nWhat the largest and the worst inputs cost the reader (one at a time, in-process):\n\n"
        + harness.table(
            ["input", "outcome", "ms", "peak memory of the arrays (MiB; tracemalloc, without the decoder's own)"],
            costly,
            align="ll",
        )
    )


def run(args):
    start = time.perf_counter()
    test = mnist_flax.load_mnist(args.data_dir).test
    models, judge = load_bundled_models(), load_judge()
    results = {}
    for name in args.families:
        samples = battery.family(name, test.images, test.labels, args.half, args.n)
        for door in args.doors:
            if door != "canvas" or samples[0].ink is not None:
                results[name, door] = measure(samples, door, models, judge)
                harness.note(f"{name}, {door}: measured")
    text = markdown(results, costly_inputs(), list(models), args, time.perf_counter() - start)
    harness.publish(args.docs / "battery.md", "battery", args.command, text)
