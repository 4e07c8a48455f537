"""What the tabs share: the loaded models and data (``AppState``), reading a drawing, and the
adapter that lets plain handlers return dicts keyed by name."""
import base64
import dataclasses
import functools
import inspect
import io
import json
import os
import sys
import threading
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

import mnist_flax
from mnist_flax import feedback, reader
from mnist_flax.jobs import Limits
from mnist_flax.novelty import Judge, load_judge
from mnist_flax.prediction import BUNDLE_HINT, Predictor, enable_compilation_cache, load_bundled_models, load_model

DRAW_HINT = "Draw a digit"
ZOOM = 8  # the 28x28 views are shown at 224x224
CSS = """figure.view { display: inline-block; margin: 0 12px 0 0; }
figure.view img, figure.view .empty { width: 224px; height: 224px; image-rendering: pixelated; background: black; }
figure.view figcaption { font-size: 0.85em; }
p.not-a-digit { background: #fff3cd; color: #664d03; border-left: 4px solid #e0a800; padding: 6px 10px; margin: 0; }
.kept p { font-size: 0.8em; color: #666; }"""
CANVAS_JS = (Path(__file__).parent / "canvas.js").read_text()
CANVAS_HTML = """<div class="drawing"><canvas width="336" height="336" aria-label="Drawing canvas"></canvas>
<button type="button" class="clear">Clear canvas</button></div>"""
CANVAS_CSS = """.drawing canvas { width: 336px; height: 336px; border: 1px solid #bbb; border-radius: 6px;
touch-action: none; cursor: crosshair; background: white; display: block; }
.drawing button.clear { margin-top: 6px; padding: 2px 10px; border: 1px solid #bbb; border-radius: 6px; }"""
MAX_DRAWING_SIDE = 128  # canvas.js sends at most 64 pixels a side


@dataclasses.dataclass
class AppState:
    """Everything the handlers read: built once by ``load`` when the app is built, never at import."""

    models: dict[str, Predictor]  # bundled models, best first: the first gives the default answer
    limits: Limits = Limits()
    train_concurrency: int = 1
    jobs: dict = dataclasses.field(default_factory=dict)  # session -> its running job (anything with .stop())
    feedback_sync: object = None  # pushes corrections to a Hub dataset, when one is configured (feedback.hub_sync)
    judge: Judge | None = None  # says whether a drawing looks like a digit at all (novelty)
    _cache: dict = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @classmethod
    def load(cls) -> "AppState":
        enable_compilation_cache()
        models = load_bundled_models()
        if not models:
            sys.exit(f"No bundled weights found in mnist_flax/weights. {BUNDLE_HINT}")
        judge = load_judge()
        if judge is not None:
            judge.score(np.zeros((1, 28, 28), np.uint8))  # compiled before the first visitor
        return cls(models,
                   Limits(max_seconds=float(os.environ.get("MNIST_FLAX_TRAIN_SECONDS", "180"))),
                   int(os.environ.get("MNIST_FLAX_TRAIN_CONCURRENCY", "1")), feedback_sync=feedback.hub_sync(),
                   judge=judge)

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def remember(self, key, compute):
        """``compute()``, kept under ``key`` for the next time (the examples' answers)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def predictor(self, name: str, mine: dict | None = None) -> Predictor:
        """A bundled model, or one this visitor trained (``mine``: name -> path of its weights)."""
        if name in self.models:
            return self.models[name]
        if mine and name in mine:
            try:
                return _visitor_model(mine[name])
            except mnist_flax.CheckpointError:
                raise gr.Error(f"Your model {name!r} is no longer on the server (trained models are kept a day): "
                               "train it again.") from None
        raise gr.Error(f"Unknown model {name!r}: choose one of {', '.join(self.names + list(mine or ()))}.")

    def mnist(self) -> mnist_flax.Mnist:
        """MNIST, loaded on first use (Explore and Train need it; drawing does not)."""
        with self._lock:
            if "data" not in self._cache:
                if not os.environ.get(mnist_flax.data.ENV_VAR):
                    gr.Info("Loading MNIST. On a new server it is downloaded first (11 MB, the four official "
                            "files), which takes a few seconds; then it is cached.")
                try:
                    self._cache["data"] = mnist_flax.load_mnist()
                except mnist_flax.MnistError as e:
                    raise gr.Error(f"MNIST is not available: {e}")
            return self._cache["data"]

    def evaluation(self, name: str) -> mnist_flax.Evaluation:
        """A bundled model's evaluation on the MNIST test set, cached."""
        test = self.mnist().test
        key = ("evaluation", name)
        if key not in self._cache:
            predictor = self.predictor(name)
            self._cache[key] = mnist_flax.evaluate(predictor.model, test, raw_pixels=predictor.raw_pixels)
        return self._cache[key]


@functools.lru_cache(maxsize=32)
def _visitor_model(path):
    return load_model(path)


def reading(image) -> reader.Reading | None:
    """What the reader makes of an image file (a drawing, a photo of paper, an MNIST image), or None when
    it holds no digit; unreadable input is a gr.Error."""
    if image is None:
        return None
    try:
        return reader.read(image)
    except mnist_flax.BlankSketchError:
        return None
    except mnist_flax.SketchError as e:
        raise gr.Error(f"{str(e)[0].upper()}{str(e)[1:]}") from None


def digit(image) -> np.ndarray | None:
    """The MNIST-format digit of an image file, or None when it holds none (``reading``)."""
    found = reading(image)
    return None if found is None else found.digit


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
        raise gr.Error(str(e))


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


def canvas_value(ink: np.ndarray) -> str:
    """What canvas.js sends for a canvas holding ``ink`` ((H, W) uint8, 255 = ink): the ink cropped with a
    15% margin and reduced to at most 64 pixels on its long side. The app puts examples and photos on the
    canvas this way; tests and load scripts draw with it."""
    rows, cols = np.flatnonzero(ink.max(1) > 5), np.flatnonzero(ink.max(0) > 5)
    pad = int(0.15 * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))
    crop = Image.fromarray(ink[max(0, rows[0] - pad): rows[-1] + pad + 1, max(0, cols[0] - pad): cols[-1] + pad + 1])
    crop.thumbnail((64, 64), Image.Resampling.BOX)
    small = np.asarray(crop)
    return json.dumps({"width": small.shape[1], "height": small.shape[0],
                       "ink": base64.b64encode(small.tobytes()).decode()})


def drawing_canvas() -> gr.HTML:
    """Where visitors draw: strokes stay in the browser, and only the cropped, reduced ink is sent."""
    return gr.HTML("", html_template=CANVAS_HTML, css_template=CANVAS_CSS, js_on_load=CANVAS_JS)


def png_data_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def zoom(image: np.ndarray) -> np.ndarray:
    return image.repeat(ZOOM, 0).repeat(ZOOM, 1)


def labels(probabilities) -> dict[str, float]:
    return {str(i): float(p) for i, p in enumerate(probabilities)}


class ImageInput(gr.Image):
    """Gradio's Image input (a file, a URL, the webcam), passing the file's path without opening it:
    ``read_image`` then reads it with bounded memory, refusing a huge image from its header and saying
    clearly what is wrong with a file that is not an image."""

    is_template = True  # the page renders it as Gradio's own Image (get_block_name)

    def preprocess(self, payload):
        if payload is None or payload.path is None:  # nothing, or a data: URL (decoded by Gradio)
            return super().preprocess(payload)
        return payload.path


def event_handler(fn, state: AppState, components: dict | None = None):
    """``fn(state, *inputs)`` as a Gradio event function: ``state`` given, and with ``components``
    its results (dicts keyed by name, or a generator of them) keyed by component instead; names a
    result leaves out stay as they are on the page. The signature and annotations stay ``fn``'s, for
    Gradio reads them to pass ``gr.Request`` and ``gr.SelectData``, and so does streaming."""
    def convert(result):
        return result if components is None else {components[name]: value for name, value in result.items()}

    if inspect.isgeneratorfunction(fn):
        def wrapped(*args):
            for result in fn(state, *args):
                yield convert(result)
    else:
        def wrapped(*args):
            return convert(fn(state, *args))
    signature = inspect.signature(fn)
    wrapped.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
    wrapped.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != "state"}
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__  # MCP names and describes tools by these
    return wrapped
