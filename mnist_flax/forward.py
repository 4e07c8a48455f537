"""The one forward pass: images as users pass them -> model input -> logits.

Prediction, evaluation and the app all go through ``model_input`` (which checks and
converts what a caller passes) and ``logits`` (one jitted function per architecture);
training feeds its batches through the same ``network_input``.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

CHUNK = 1024  # the largest batch one compiled call takes; smaller ones are padded to a power of two

ACCEPTED = "uint8 images of 0..255 (MNIST's own format) or floats in [0, 1]"


def model_input(images) -> np.ndarray:
    """(N, 28, 28) float32 in [0, 1] from one (28, 28) image or a batch (N, 28, 28) or (N, 28, 28, 1)
    of ``ACCEPTED`` pixels. Anything else raises ``ValueError`` saying what to pass: a float image
    of 0..255 would otherwise be read as almost all ink, and the model's answer would be garbage."""
    x = np.asarray(images)
    if x.dtype == np.bool_ or not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise ValueError(f"images must be {ACCEPTED}; got dtype {x.dtype}")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(
            f"expected 28x28 images, shaped (28, 28), (N, 28, 28) or (N, 28, 28, 1); got {x.shape}. "
            "mnist_flax.read_digit turns an image of any size into one"
        )
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255)
    if np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"integer images must be uint8 (0..255); got {x.dtype}. If they hold 0..255, pass images.astype(np.uint8)"
        )
    x = x.astype(np.float32)
    if x.size and not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"float images must lie in [0, 1]; got values from {x.min():g} to {x.max():g}. For pixels "
            "of 0..255 pass uint8 (images.astype(np.uint8)) or divide by 255"
        )
    return x


def network_input(x, raw_pixels: bool):
    """What a network was trained on, from uint8 0..255 or float 0..1 images (inside compiled code)."""
    if x.dtype == jnp.uint8:
        x = x.astype(jnp.float32)
        return x if raw_pixels else x / 255.0
    return x * 255.0 if raw_pixels else x


@functools.lru_cache(maxsize=64)
def _compiled(graphdef, raw_pixels: bool):
    return jax.jit(lambda params, x: nnx.merge(graphdef, params)(network_input(x, raw_pixels)))


def logits(graphdef, params, images, raw_pixels: bool = False) -> np.ndarray:
    """(N, 10) logits of ``images`` (any form ``model_input`` accepts), in padded chunks so that
    any N reuses a handful of compiled shapes."""
    x = model_input(images)
    forward = _compiled(graphdef, raw_pixels)
    out = []
    for i in range(0, len(x), CHUNK):
        batch = x[i : i + CHUNK]
        size = min(CHUNK, 1 << (len(batch) - 1).bit_length())
        padded = (
            batch if size == len(batch) else np.concatenate([batch, np.zeros((size - len(batch), 28, 28), np.float32)])
        )
        out.append(np.asarray(forward(params, padded))[: len(batch)])
    return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def model_logits(model: nnx.Module, images, raw_pixels: bool = False) -> np.ndarray:
    """``logits`` of an NNX model."""
    return logits(*nnx.split(model), images, raw_pixels)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
