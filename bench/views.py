"""Server time of each view of a drawing in the Draw tab, per model (serving.md).

    python -m bench views --n 50

What one stroke costs when that view is on screen: the handler's time (models, gradients and the page's
pictures), without Gradio's own cost per event (``python -m bench classroom`` measures that). Drawings are
browser-like drawings of test digits, as the page's canvas sends them. Median and 90th percentile over the
drawings, after one warm-up drawing.
"""

import numpy as np
from PIL import Image

import mnist_flax
from bench import harness
from mnist_flax.inputs import simulate_drawing


def add_arguments(p):
    p.add_argument("--n", type=int, default=50, help="drawings")
    p.add_argument("--data-dir")


def run(args):
    from demo.canvas import canvas_value  # the app's own code: gradio is slow to import, and only this needs it
    from demo.state import AppState
    from demo.tabs.draw import VIEWS, show

    state = AppState.load()
    rng = np.random.default_rng(0)
    drawings = [
        canvas_value(255 - np.asarray(Image.fromarray(simulate_drawing(image, rng, as_layer=False)).convert("L")))
        for image in mnist_flax.load_mnist(args.data_dir).test.images[: args.n]
    ]

    def cell(name, view) -> str:
        ms = harness.timed(lambda d: show(state, d, name, view, "3"), drawings)[1]
        return "{:.1f} / {:.1f}".format(*harness.percentiles(ms, 50, 90))

    rows = [[view, *(cell(name, view) for name in state.names)] for view in (VIEWS[0], VIEWS[2])]
    rows += [
        [f"{view} (all five models)", cell(state.names[0], view), *[""] * (len(state.names) - 1)]
        for view in (VIEWS[1], VIEWS[3])
    ]
    harness.publish(
        args.docs / "serving.md",
        "views",
        args.command,
        f"{args.n} drawings; server ms per stroke, median / 90th percentile:\n\n"
        + harness.table(["view", *state.names], rows),
    )
