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
        self._probabilities = _compiled_probabilities(graphdef, self.raw_pixels)

    @property
    def test_accuracy(self) -> float | None:
        return self.checkpoint.metadata.get("test_accuracy")

    def _input(self, images) -> jnp.ndarray:
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
        return jnp.asarray(images, jnp.float32) / (255.0 if images.dtype == np.uint8 else 1.0)

    def predict(self, images) -> np.ndarray:
        """(N, 28, 28) uint8 0..255 or float 0..1 (or one (28, 28) image) -> (N, 10) probabilities."""
        x = self._input(images)
        return np.concatenate([np.asarray(self._probabilities(self._params, x[i: i + MAX_BATCH]))
                               for i in range(0, len(x), MAX_BATCH)])


@functools.lru_cache(maxsize=None)
def _compiled_probabilities(graphdef, raw_pixels: bool):
    def probabilities(params, x):
        return jax.nn.softmax(nnx.merge(graphdef, params)(x * 255.0 if raw_pixels else x))

    return jax.jit(probabilities)


def bundled_weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


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
