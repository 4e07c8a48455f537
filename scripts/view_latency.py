"""Server time of each view of a drawing in the Draw tab, per model: what one stroke costs when that
view is on screen (the handler: models, gradients and the page's pictures; Gradio's own cost per
event is measured by scripts/app_latency.py).

    python scripts/view_latency.py --n 50

Drawings are browser-like drawings of test digits, as the page's canvas sends them. Median and 90th
percentile over the drawings, after one warm-up drawing.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import mnist_flax
from mnist_flax.inputs import simulate_drawing

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))  # the app imports its modules by name
import draw_tab  # noqa: E402
from shared import AppState, canvas_value  # noqa: E402


def canvas_drawings(images, seed=0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [canvas_value(255 - np.asarray(Image.fromarray(simulate_drawing(image, rng, as_layer=False)).convert("L")))
            for image in images]


def timed(fn, drawings) -> tuple[float, float]:
    fn(drawings[0])
    times = []
    for drawing in drawings:
        start = time.perf_counter()
        fn(drawing)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.percentile(times, 90))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50, help="drawings")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    state = AppState.load()
    drawings = canvas_drawings(mnist_flax.load_mnist(args.data_dir).test.images[: args.n])
    print(f"{args.n} drawings; server ms per stroke, median / 90th percentile\n")
    print("| view | " + " | ".join(state.names) + " |")
    print("|---|" + "---:|" * len(state.names))
    for view in ("Answer", "Inside"):
        cells = [timed(lambda d: draw_tab.show(state, d, name, view, "3"), drawings) for name in state.names]
        print(f"| {view} | " + " | ".join(f"{m:.1f} / {p90:.1f}" for m, p90 in cells) + " |", flush=True)
    for view in ("Compare", draw_tab.VIEWS[3]):
        median, p90 = timed(lambda d: draw_tab.show(state, d, state.names[0], view, "3"), drawings)
        print(f"| {view} (all five models) | {median:.1f} / {p90:.1f} |" + " |" * (len(state.names) - 1), flush=True)


if __name__ == "__main__":
    main()
