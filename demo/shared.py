"""What the tabs share: the loaded models and data (``AppState``), reading a drawing, and the
adapter that lets plain handlers return dicts keyed by name."""
import dataclasses
import functools
import inspect
import os
import sys
import threading

import gradio as gr
import numpy as np
from gradio.data_classes import FileData

import mnist_flax
from mnist_flax.jobs import Limits
from mnist_flax.prediction import BUNDLE_HINT, Predictor, enable_compilation_cache, load_bundled_models, load_model
from mnist_flax.sketch import read_image

DRAW_HINT = "Draw a digit"
# Gradio's Sketchpad opens (and clears) with no tool selected; select the brush so visitors can draw at once.
SELECT_BRUSH = """() => setTimeout(() => document.querySelectorAll('button[aria-label="Brush"]').forEach(
    b => { if (!b.classList.contains('highlight')) b.click(); }), 300)"""
ZOOM = 8  # the 28x28 views are shown at 224x224


@dataclasses.dataclass
class AppState:
    """Everything the handlers read: built once by ``load`` when the app is built, never at import."""

    models: dict[str, Predictor]  # bundled models, best first
    limits: Limits = Limits()
    train_concurrency: int = 1
    jobs: dict = dataclasses.field(default_factory=dict)  # session -> its running job (anything with .stop())
    _cache: dict = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @classmethod
    def load(cls) -> "AppState":
        enable_compilation_cache()
        models = load_bundled_models()
        if not models:
            sys.exit(f"No bundled weights found in mnist_flax/weights. {BUNDLE_HINT}")
        return cls(dict(sorted(models.items(), key=lambda kv: -(kv[1].test_accuracy or 0))),
                   Limits(max_seconds=float(os.environ.get("MNIST_FLAX_TRAIN_SECONDS", "180"))),
                   int(os.environ.get("MNIST_FLAX_TRAIN_CONCURRENCY", "1")))

    @property
    def names(self) -> list[str]:
        return list(self.models)

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


def digit(sketch) -> np.ndarray | None:
    """The MNIST-format digit, or None for a blank canvas; unreadable input is a gr.Error."""
    try:
        return mnist_flax.preprocess_sketch(sketch)
    except mnist_flax.BlankSketchError:
        return None
    except mnist_flax.SketchError as e:
        raise gr.Error(str(e))


def zoom(image: np.ndarray) -> np.ndarray:
    return image.repeat(ZOOM, 0).repeat(ZOOM, 1)


def labels(probabilities) -> dict[str, float]:
    return {str(i): float(p) for i, p in enumerate(probabilities)}


class BoundedSketchpad(gr.Sketchpad):
    """Gradio's Sketchpad, whose images are read with bounded memory (``mnist_flax.sketch.read_image``):
    a huge upload is refused from its header, and a file that is not an image gets a clear message,
    before Gradio would decode either whole."""

    def convert_and_format_image(self, file, flatten_on_white=False):  # Gradio's hook for each image it receives
        if file is None:
            return None
        try:
            return np.asarray(read_image(file.path if isinstance(file, FileData) else bytes(file)))
        except mnist_flax.SketchError as e:
            raise gr.Error(f"{str(e)[0].upper()}{str(e)[1:]}.")


def sketchpad() -> gr.Sketchpad:
    return BoundedSketchpad(label="Draw a digit", type="numpy", canvas_size=(336, 336), layers=False, transforms=(),
                            brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"), height=420)


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
    wrapped.__name__ = fn.__name__
    return wrapped
