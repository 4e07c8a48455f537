"""Pretrained models ready to predict: ``load_model("cnn").predict(images)``."""
import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mnist_flax.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from mnist_flax.registry import MODELS

WEIGHTS_DIR = Path(__file__).parent / "weights"
MAX_BATCH = 1000


class Predictor:
    """A trained model and what it was trained on; ``predict`` maps images to probabilities."""

    def __init__(self, checkpoint: Checkpoint):
        self.checkpoint = checkpoint
        self.name = checkpoint.name
        self.model = checkpoint.model
        self.raw_pixels = checkpoint.recipe.raw_pixels
        graphdef, self._params = nnx.split(self.model)
        self._probabilities, self._saliency = _compiled(graphdef, self.raw_pixels)

    @property
    def test_accuracy(self) -> float | None:
        return self.checkpoint.metadata.get("test_accuracy")

    def _input(self, images) -> np.ndarray:
        """(N, 28, 28) float32 in 0..1, converted in numpy: a jnp op per call would cost more than
        the small models' forward pass."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
        x = images.astype(np.float32)
        return x / np.float32(255) if images.dtype == np.uint8 else x

    def saliency(self, image) -> np.ndarray:
        """|d top-class logit / d pixel| for one (28, 28) image: which pixels pushed the prediction."""
        x = self._input(image)[:1]
        return np.abs(np.asarray(self._saliency(self._params, x)))[0]

    def predict(self, images) -> np.ndarray:
        """(N, 28, 28) uint8 0..255 or float 0..1 (or one (28, 28) image) -> (N, 10) probabilities."""
        x = self._input(images)
        if len(x) <= MAX_BATCH:
            return np.asarray(self._probabilities(self._params, x))
        return np.concatenate([np.asarray(self._probabilities(self._params, x[i: i + MAX_BATCH]))
                               for i in range(0, len(x), MAX_BATCH)])


@functools.lru_cache(maxsize=None)
def _compiled(graphdef, raw_pixels: bool):
    """Jitted probabilities and saliency, shared by every predictor of one architecture."""

    def logits(params, x):
        return nnx.merge(graphdef, params)(x * 255.0 if raw_pixels else x)

    def top_logit(x, params):
        z = logits(params, x)
        return jnp.take_along_axis(z, jnp.argmax(z, -1, keepdims=True), -1).sum()

    return (jax.jit(lambda params, x: jax.nn.softmax(logits(params, x))),
            jax.jit(lambda params, x: jax.grad(top_logit)(x, params)))


def bundled_weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


def enable_compilation_cache(directory: str | Path | None = None) -> Path:
    """Keeps compiled programs on disk (``$MNIST_FLAX_CACHE_DIR``, default ~/.cache/mnist_flax/jax),
    so a restarted app skips XLA compilation: a warm start takes a fraction of a cold one."""
    import os

    directory = Path(directory or os.environ.get("MNIST_FLAX_CACHE_DIR", "~/.cache/mnist_flax/jax")).expanduser()
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory


def load_bundled_models() -> dict[str, Predictor]:
    """Every registry model whose bundled weights exist, compiled and warmed up for one image."""
    models = {name: load_model(name) for name in MODELS if bundled_weights_path(name).is_file()}
    for predictor in models.values():
        predictor.predict(np.zeros((1, 28, 28), np.uint8))
        predictor.saliency(np.zeros((28, 28), np.uint8))
    return models


def load_model(name_or_path: str | Path) -> Predictor:
    """A registry name loads the bundled weights; anything else is a path to a .safetensors file."""
    if str(name_or_path) in MODELS:
        path = bundled_weights_path(str(name_or_path))
        if not path.is_file():
            raise CheckpointError(
                f"no bundled weights for {name_or_path!r} ({path} is missing). Train them with: "
                f"python scripts/train.py --model {name_or_path} --recipe best --out {WEIGHTS_DIR}"
            )
        return Predictor(load_checkpoint(path))
    path = Path(name_or_path)
    if path.suffix != ".safetensors" and not path.exists():
        raise CheckpointError(f"{name_or_path!r} is neither a model name ({', '.join(MODELS)}) nor a weights file")
    return Predictor(load_checkpoint(path))
