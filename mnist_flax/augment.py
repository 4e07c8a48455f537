"""Random distortions like those of digits drawn in a browser, in JAX, inside the train step.

Small affine transforms (rotation, scale, shear, shift) and stroke-width changes
(blending towards a 3x3 dilation or erosion). Inputs and outputs are float images
(B, 28, 28) on any intensity scale.
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy.ndimage import map_coordinates

MAX_ROTATION = math.radians(15.0)
SCALE_RANGE = (0.85, 1.15)
MAX_SHEAR = 0.15
MAX_SHIFT = 2.5  # pixels


def _window3x3(images, reduce, init):
    return jax.lax.reduce_window(images, init, reduce, (1, 3, 3), (1, 1, 1), "SAME")


def random_affine(key, images):
    b = images.shape[0]
    k_angle, k_scale, k_shear, k_shift = jax.random.split(key, 4)
    angle = jax.random.uniform(k_angle, (b,), minval=-MAX_ROTATION, maxval=MAX_ROTATION)
    scale = jax.random.uniform(k_scale, (b, 2), minval=SCALE_RANGE[0], maxval=SCALE_RANGE[1])
    shear = jax.random.uniform(k_shear, (b,), minval=-MAX_SHEAR, maxval=MAX_SHEAR)
    shift = jax.random.uniform(k_shift, (b, 2), minval=-MAX_SHIFT, maxval=MAX_SHIFT)
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    # Output pixel -> input pixel: the inverse of rotate(scale(shear(.))) about the centre.
    rotation_inv = jnp.stack([jnp.stack([cos, sin], -1), jnp.stack([-sin, cos], -1)], -2)
    shear_inv = jnp.stack([jnp.stack([jnp.ones(b), -shear], -1), jnp.stack([jnp.zeros(b), jnp.ones(b)], -1)], -2)
    inverse = shear_inv @ (rotation_inv / scale[:, :, None])
    grid = jnp.stack(jnp.meshgrid(jnp.arange(28.0), jnp.arange(28.0), indexing="ij"), 0).reshape(2, -1) - 13.5
    coords = inverse @ (grid[None] - shift[:, :, None]) + 13.5  # (b, 2, 784)

    def warp(image, c):
        return map_coordinates(image, [c[0], c[1]], order=1, mode="constant", cval=0.0).reshape(28, 28)

    return jax.vmap(warp)(images, coords)


def random_stroke_width(key, images):
    """Blends each image towards its 3x3 dilation (thicker) or erosion (thinner)."""
    k_kind, k_amount = jax.random.split(key)
    b = images.shape[0]
    thicker = jax.random.bernoulli(k_kind, 0.5, (b, 1, 1))
    amount = jax.random.uniform(k_amount, (b, 1, 1), maxval=jnp.where(thicker, 0.8, 0.4))
    dilated = _window3x3(images, jax.lax.max, -jnp.inf)
    eroded = _window3x3(images, jax.lax.min, jnp.inf)
    target = jnp.where(thicker, dilated, eroded)
    return images + amount * (target - images)


def augment(key, images):
    k_affine, k_stroke = jax.random.split(key)
    return random_affine(k_affine, random_stroke_width(k_stroke, images))
