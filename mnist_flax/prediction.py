"""Pretrained models ready to predict: ``load_model("cnn").predict(images)``."""

import os
import tempfile
import warnings
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from mnist_flax import attribution
from mnist_flax.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from mnist_flax.forward import logits, model_input, softmax
from mnist_flax.inside import Layer, layer_activations
from mnist_flax.registry import MODELS

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_SALIENCY = "integrated_gradients"  # the most faithful on drawings: docs/inside.md


class Predictor:
    """A trained model and what it was trained on; ``predict`` maps images to probabilities."""

    def __init__(self, checkpoint: Checkpoint):
        self.checkpoint = checkpoint
        self.name = checkpoint.name
        self.model = checkpoint.model
        self.raw_pixels = checkpoint.recipe.raw_pixels
        self._graphdef, self._params = nnx.split(self.model)

    @property
    def test_accuracy(self) -> float | None:
        return self.checkpoint.metadata.get("test_accuracy")

    @property
    def temperature(self) -> float:
        """The temperature fitted on the validation split (``bundle.make``); 1 when none was."""
        return float(self.checkpoint.metadata.get("temperature", 1.0))

    def logits(self, images) -> np.ndarray:
        return logits(self._graphdef, self._params, images, self.raw_pixels)

    def predict(self, images, calibrated: bool = True) -> np.ndarray:
        """(N, 10) probabilities of one (28, 28) image or a batch (N, 28, 28): uint8 0..255 or
        floats in [0, 1] (anything else raises ``ValueError``, see ``forward.model_input``). They are
        calibrated by the model's ``temperature`` (``calibration``), or the raw softmax with ``calibrated=False``."""
        return softmax(self.logits(images) / (self.temperature if calibrated else 1.0))

    def saliency(self, image, method: str = DEFAULT_SALIENCY) -> np.ndarray:
        """(28, 28) attribution of one image's top class to its pixels (``attribution.saliency``)."""
        return attribution.saliency(self._graphdef, self._params, model_input(image)[:1], self.raw_pixels, method)[0]

    def layers(self, image) -> list[Layer]:
        """Every layer's output on one image, input to the calibrated softmax (``inside.layer_activations``)."""
        return layer_activations(self._graphdef, self._params, image, self.raw_pixels, self.temperature)

    def counterfactual(self, images, targets, **options) -> attribution.Counterfactual:
        """The images nudged until this model reads ``targets`` (``attribution.counterfactual``)."""
        return attribution.counterfactual(self._graphdef, self._params, images, targets, self.raw_pixels, **options)

    def warm_up(self) -> None:
        """Compiles every view for one image (predict, saliency, layers, counterfactual), so that the first
        visitor does not wait for it."""
        blank = np.zeros((28, 28), np.uint8)
        self.predict(blank[None])
        self.saliency(blank)
        self.layers(blank)
        self.counterfactual(blank, 0)


BUNDLE_HINT = "Train and bundle them with: python scripts/reproduce.py --recipes best --bundle"


def bundled_weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


def enable_compilation_cache(directory: str | Path | None = None) -> Path | None:
    """Keeps compiled programs on disk (``$MNIST_FLAX_CACHE_DIR``, default ~/.cache/mnist_flax/jax),
    so a restarted app skips XLA compilation: a warm start takes a fraction of a cold one. Where the
    folder cannot be written (a read-only home on a server), it warns and compiles as usual: None."""
    directory = Path(directory or os.environ.get("MNIST_FLAX_CACHE_DIR", "~/.cache/mnist_flax/jax")).expanduser()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError as e:
        warnings.warn(
            f"no compilation cache: {directory} is not writable ({e}); set MNIST_FLAX_CACHE_DIR", stacklevel=2
        )
        return None
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory


def load_bundled_models() -> dict[str, Predictor]:
    """Every registry model whose bundled weights exist, best first (by test accuracy): the first gives the
    app's default answer. Each compiles what it is asked for when first asked (``Predictor.warm_up``)."""
    models = {name: load_model(name) for name in MODELS if bundled_weights_path(name).is_file()}
    return dict(sorted(models.items(), key=lambda kv: -(kv[1].test_accuracy or 0)))


def load_model(name_or_path: str | Path) -> Predictor:
    """A registry name loads the bundled weights; anything else is a path to a .safetensors file."""
    if str(name_or_path) in MODELS:
        path = bundled_weights_path(str(name_or_path))
        if not path.is_file():
            raise CheckpointError(f"no bundled weights for {name_or_path!r} ({path} is missing). {BUNDLE_HINT}")
        return Predictor(load_checkpoint(path))
    path = Path(name_or_path)
    if path.suffix != ".safetensors" and not path.exists():
        raise CheckpointError(f"{name_or_path!r} is neither a model name ({', '.join(MODELS)}) nor a weights file")
    return Predictor(load_checkpoint(path))
