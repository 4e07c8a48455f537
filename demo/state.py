"""What every handler reads: the loaded models, the judge and the data (``AppState``), and an image file
read as a digit (the reader's errors as messages on the page)."""

import dataclasses
import functools
import gc
import os
import sys
import threading

import gradio as gr
import numpy as np

import mnist_flax
from mnist_flax import feedback, reader
from mnist_flax.jobs import Limits
from mnist_flax.novelty import Judge, load_judge
from mnist_flax.prediction import BUNDLE_HINT, Predictor, enable_compilation_cache, load_bundled_models, load_model

WARM = "Every view of every model is compiled."  # printed when the warm-up ends


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
        """The bundled models and the judge, loaded but not compiled: ``warm_up`` compiles them while the page
        is served."""
        enable_compilation_cache()
        models = load_bundled_models()
        if not models:
            sys.exit(f"No bundled weights found in mnist_flax/weights. {BUNDLE_HINT}")
        return cls(
            models,
            Limits(max_seconds=float(os.environ.get("MNIST_FLAX_TRAIN_SECONDS", "180"))),
            int(os.environ.get("MNIST_FLAX_TRAIN_CONCURRENCY", "1")),
            feedback_sync=feedback.hub_sync(),
            judge=load_judge(),
        )

    def warm_up(self, *then) -> threading.Thread:
        """Compiles, in a thread, what the first drawing needs (the default model's answer and the judge), then
        runs each of ``then`` (the examples' answers), then compiles every view of every model: the page is
        served meanwhile, and a visitor who asks before is answered by compiling what they ask for."""

        def work():
            blank = np.zeros((28, 28), np.uint8)
            first = self.models[self.names[0]]
            first.predict(blank)
            first.saliency(blank)
            if self.judge is not None:
                self.judge.score(blank[None])
            for step in then:
                step()
            for predictor in self.models.values():
                predictor.warm_up()
            gc.freeze()  # what start-up made stays: the collector no longer walks it, and visitors wait less
            print(WARM, flush=True)

        thread = threading.Thread(target=work, name="warm-up", daemon=True)
        thread.start()
        return thread

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
                raise gr.Error(
                    f"Your model {name!r} is no longer on the server (trained models are kept a day): train it again."
                ) from None
        raise gr.Error(f"Unknown model {name!r}: choose one of {', '.join(self.names + list(mine or ()))}.")

    def mnist(self) -> mnist_flax.Mnist:
        """MNIST, loaded on first use (Explore and Train need it; drawing does not)."""
        with self._lock:
            if "data" not in self._cache:
                if not os.environ.get(mnist_flax.data.ENV_VAR):
                    gr.Info(
                        "Loading MNIST. On a new server it is downloaded first (11 MB, the four official "
                        "files), which takes a few seconds; then it is cached."
                    )
                try:
                    self._cache["data"] = mnist_flax.load_mnist()
                except mnist_flax.MnistError as e:
                    raise gr.Error(f"MNIST is not available: {e}") from None
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
        raise page_error(e) from None


def page_error(error: mnist_flax.SketchError) -> gr.Error:
    """The reader's message as the page shows it: a sentence."""
    text = str(error)
    return gr.Error(text[:1].upper() + text[1:])


def digit(image) -> np.ndarray | None:
    """The MNIST-format digit of an image file, or None when it holds none (``reading``)."""
    found = reading(image)
    return None if found is None else found.digit
