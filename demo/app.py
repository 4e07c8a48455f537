"""MNIST in Flax: draw a digit, compare the five Keras tutorial architectures, look inside them, see
what would make them read another digit, explore their mistakes, train your own.

    python demo/app.py        # then open http://127.0.0.1:7860

This file builds the page from one module per tab (``demo.tabs``) and launches it; the tabs hold the
components and events, their handlers are plain functions, and models, reading, prediction and
training come from the mnist_flax library.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a Space runs this file from a checkout it never installs

import gradio as gr  # noqa: E402

from demo.pictures import CSS  # noqa: E402
from demo.state import AppState  # noqa: E402
from demo.tabs import draw, explore, train  # noqa: E402

CACHE_LIFETIME = (3600, 3600)  # every hour, delete uploaded and generated files older than an hour
MAX_UPLOAD = "10mb"  # a drawing is a few KB, a phone photo a few MB
MAX_QUEUE = 64  # visitors waiting beyond this are told the queue is full
# After every event Gradio rebuilds a summary of up to 10,000 past events (a pandas table) for a monitoring page
# this app does not open: a cost that grows with every visitor. Once per 1,000 events instead.
ANALYTICS_EVERY = "1000"


def build(state: AppState | None = None) -> gr.Blocks:
    """The whole page; loads the bundled models once (``AppState.load``) unless given a state."""
    state = state or AppState.load()
    with gr.Blocks(title="MNIST in Flax", delete_cache=CACHE_LIFETIME) as demo:
        mine = gr.State({})  # this visitor's trained models: name -> weights path
        gr.Markdown(
            "# MNIST in Flax\nThe five classic Keras MNIST tutorial models, rebuilt in Flax NNX. "
            "Draw a digit, then look at it four ways: the answer, every model side by side, the inside of a "
            "model layer by layer, and what would make each model read another digit. Every drawing is "
            "cropped, scaled to 20x20 and centred by its centre of mass, as the MNIST digits were."
        )
        drawing = draw.build(state, mine)
        explore.build(state)
        train.build(state, mine, drawing.model, demo)
    return demo


def serve() -> None:
    """Serves first, then compiles (``AppState.warm_up``): the first drawing's answer, the examples', then every
    view of every model, while the page is already up. Predict and compare are MCP tools too."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", ANALYTICS_EVERY)  # read by queue()
    state = AppState.load()
    demo = build(state).queue(default_concurrency_limit=4, max_size=MAX_QUEUE)
    demo.launch(max_file_size=MAX_UPLOAD, css=CSS, mcp_server=True, prevent_thread_lock=True)
    state.warm_up(lambda: draw.answer_examples(state))
    demo.block_thread()


if __name__ == "__main__":
    serve()
