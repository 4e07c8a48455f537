"""The drawing canvas, both sides of its wire format: canvas.js draws the strokes in the browser and sends
only the ink, cropped and reduced; ``drawing_ink`` reads what it sends, and ``canvas_value`` writes the
same value for ink made on the server (examples, photos; tests and the bench draw with it too)."""

import base64
import json
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

import mnist_flax
from demo.state import page_error
from mnist_flax import reader

CANVAS_JS = (Path(__file__).parent / "canvas.js").read_text()
CANVAS_HTML = """<div class="drawing"><canvas width="336" height="336" aria-label="Drawing canvas"></canvas>
<button type="button" class="clear">Clear canvas</button></div>"""
CANVAS_CSS = """.drawing canvas { width: 336px; height: 336px; border: 1px solid #bbb; border-radius: 6px;
touch-action: none; cursor: crosshair; background: white; display: block; }
.drawing button.clear { margin-top: 6px; padding: 2px 10px; border: 1px solid #bbb; border-radius: 6px; }"""
MAX_DRAWING_SIDE = 128  # canvas.js sends at most 64 pixels a side


def drawing_digit(value: str | None) -> np.ndarray | None:
    """The MNIST-format digit from the drawing canvas's value (canvas.js), or None for an empty canvas."""
    ink = drawing_ink(value)
    if ink is None:
        return None
    try:
        return reader.digit_from_ink(ink / np.float32(255))
    except mnist_flax.BlankSketchError:
        return None
    except mnist_flax.SketchError as e:
        raise page_error(e) from None


def drawing_ink(value: str | None) -> np.ndarray | None:
    """The ink the drawing canvas sent ((H, W) uint8, 255 = ink), or None for an empty canvas."""
    if not value:
        return None
    try:
        drawing = json.loads(value)
        width, height = int(drawing["width"]), int(drawing["height"])
        ink = np.frombuffer(base64.b64decode(drawing["ink"], validate=True), np.uint8)
        if not (0 < width <= MAX_DRAWING_SIDE and 0 < height <= MAX_DRAWING_SIDE and ink.size == width * height):
            raise ValueError(f"a {width}x{height} drawing with {ink.size} ink values")
    except (ValueError, KeyError, TypeError) as e:
        raise gr.Error(f"The drawing could not be read ({e}).") from None
    return ink.reshape(height, width)


def drawing_partial(value: str | None) -> bool:
    """Whether the canvas sent this while the pen was still down (canvas.js): the stroke goes on."""
    try:
        return bool(value) and json.loads(value).get("partial") is True
    except (ValueError, AttributeError):
        return False  # drawing_ink says what is wrong with it


def canvas_value(ink: np.ndarray, partial: bool = False) -> str:
    """What canvas.js sends for a canvas holding ``ink`` ((H, W) uint8, 255 = ink): the ink cropped with a
    15% margin and reduced to at most 64 pixels on its long side; ``partial`` as sent while the pen is down.
    The app puts examples and photos on the canvas this way; tests and load scripts draw with it."""
    rows, cols = np.flatnonzero(ink.max(1) > 5), np.flatnonzero(ink.max(0) > 5)
    pad = int(0.15 * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))
    crop = Image.fromarray(ink[max(0, rows[0] - pad) : rows[-1] + pad + 1, max(0, cols[0] - pad) : cols[-1] + pad + 1])
    crop.thumbnail((64, 64), Image.Resampling.BOX)
    small = np.asarray(crop)
    value = {"width": small.shape[1], "height": small.shape[0], "ink": base64.b64encode(small.tobytes()).decode()}
    return json.dumps({**value, "partial": True} if partial else value)


def drawing_canvas() -> gr.HTML:
    """Where visitors draw: strokes stay in the browser, and only the cropped, reduced ink is sent."""
    return gr.HTML("", html_template=CANVAS_HTML, css_template=CANVAS_CSS, js_on_load=CANVAS_JS)
