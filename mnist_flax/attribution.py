"""Gradients with respect to the pixels: which pixels carried an answer (``saliency``), and the
nudge that turns a drawing into another digit for a model (``counterfactual``).

Saliency methods, compared on test digits by ``python -m bench saliency`` (docs/inside.md):
- "gradient": |d top logit / d pixel|, the plain map: noisy, and as bright on blank paper as on ink;
- "smoothgrad": the gradient averaged over noisy copies of the image (Smilkov et al. 2017);
- "integrated_gradients": pixel x mean gradient on the path from a blank image (Sundararajan et al.
  2017): signed (for or against the answer), zero on blank paper, and summing to the logit's change.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mnist_flax.forward import model_input, network_input

SALIENCY_METHODS = ("gradient", "smoothgrad", "integrated_gradients")
SAMPLES = 32  # noisy copies (SmoothGrad) or path points (integrated gradients) per image
NOISE = 0.15  # SmoothGrad's noise, as a fraction of the pixel range
STEPS = 60  # the counterfactual's step budget
STEP_SIZE = 0.5  # each step's size, as an L2 norm over the 28x28 image in [0, 1] (a digit's norm is about 9)


def _logit_gradient(graphdef, raw_pixels):
    """d logit[c] / d x for a batch x (N, 28, 28) and classes c (N,)."""

    def chosen_logits(x, params, classes):
        z = nnx.merge(graphdef, params)(network_input(x, raw_pixels))
        return jnp.take_along_axis(z, classes[:, None], -1).sum()

    return jax.grad(chosen_logits)


@functools.cache
def _compiled_saliency(graphdef, raw_pixels: bool, method: str):
    grad = _logit_gradient(graphdef, raw_pixels)

    def saliency(params, x, classes, key):
        top = jnp.argmax(nnx.merge(graphdef, params)(network_input(x, raw_pixels)), -1)
        classes = jnp.where(classes < 0, top, classes)  # -1: the image's top class

        def mean_gradient(copies):  # (SAMPLES, N, 28, 28): SAMPLES copies of each image, in one batch
            grads = grad(copies.reshape(-1, 28, 28), params, jnp.tile(classes, SAMPLES))
            return grads.reshape(copies.shape).mean(0)

        if method == "gradient":
            return jnp.abs(grad(x, params, classes))
        if method == "smoothgrad":
            return mean_gradient(x[None] + NOISE * jax.random.normal(key, (SAMPLES, *x.shape)))
        alphas = (jnp.arange(SAMPLES, dtype=jnp.float32) + 0.5) / SAMPLES  # midpoints of the path from blank to x
        return x * mean_gradient(alphas[:, None, None, None] * x[None])

    return jax.jit(saliency)


def saliency(
    graphdef,
    params,
    images,
    raw_pixels: bool = False,
    method: str = "integrated_gradients",
    classes=None,
    seed: int = 0,
) -> np.ndarray:
    """(N, 28, 28) attribution of each image's class (default: its top class) to its pixels by
    ``method`` (one of ``SALIENCY_METHODS``); "gradient" is unsigned, the others signed: positive
    pixels pushed toward the class, negative ones away from it."""
    if method not in SALIENCY_METHODS:
        raise ValueError(f"unknown saliency method {method!r}: choose one of {', '.join(SALIENCY_METHODS)}")
    x = jnp.asarray(model_input(images))
    classes = np.broadcast_to(-1 if classes is None else np.asarray(classes, np.int32), (len(x),))
    return np.asarray(
        _compiled_saliency(graphdef, raw_pixels, method)(
            params, x, jnp.asarray(classes, jnp.int32), jax.random.key(seed)
        )
    )


@dataclasses.dataclass(frozen=True)
class Counterfactual:
    """Images nudged toward ``targets``, step by step: ``images`` (steps + 1, N, 28, 28) and
    ``probabilities`` (steps + 1, N, 10) start with the originals; an image stops changing once its
    target is the top class, at step ``steps_taken``."""

    targets: np.ndarray
    images: np.ndarray
    probabilities: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.images[-1]

    @property
    def reached(self) -> np.ndarray:
        """(N,) whether each target became the top class within the step budget."""
        return self.probabilities[-1].argmax(-1) == self.targets

    @property
    def steps_taken(self) -> np.ndarray:
        """(N,) the step at which each target became the top class (the budget where it did not)."""
        top = self.probabilities.argmax(-1) == self.targets  # (steps + 1, N)
        return np.where(top.any(0), top.argmax(0), len(self.probabilities) - 1)

    @property
    def change(self) -> np.ndarray:
        """(N,) L2 norm of the change to each image (pixels in [0, 1])."""
        return np.sqrt(((self.final - self.images[0]) ** 2).sum((-1, -2)))


@functools.cache
def _compiled_counterfactual(graphdef, raw_pixels: bool, steps: int, step_size: float):
    def log_p(x, params, targets):
        z = nnx.merge(graphdef, params)(network_input(x, raw_pixels))
        return jnp.take_along_axis(jax.nn.log_softmax(z), targets[:, None], -1).sum(), z

    def run(params, x, targets):
        def step(carry):  # carry: (i, x = images[i], images, probabilities, every target reached)
            i, x, images, probabilities, _ = carry
            g, z = jax.grad(log_p, has_aux=True)(x, params, targets)
            reached = jnp.argmax(z, -1) == targets
            g = jnp.where(((x <= 0) & (g < 0)) | ((x >= 1) & (g > 0)), 0.0, g)  # only directions that can move
            moved = jnp.clip(x + step_size * g / (jnp.sqrt((g**2).sum((1, 2), keepdims=True)) + 1e-12), 0.0, 1.0)
            x_next = jnp.where(reached[:, None, None], x, moved)
            return (
                i + 1,
                x_next,
                images.at[i + 1].set(x_next),
                probabilities.at[i].set(jax.nn.softmax(z)),
                reached.all(),
            )

        start = (0, x, jnp.zeros((steps + 1, *x.shape)).at[0].set(x), jnp.zeros((steps + 1, x.shape[0], 10)), False)
        i, x, images, probabilities, _ = jax.lax.while_loop(lambda c: (c[0] < steps) & ~c[4], step, start)
        # Stopped early (every target reached) or at the budget: the last image's probabilities, then
        # both held to the end, so that every result has steps + 1 entries.
        probabilities = probabilities.at[i].set(jax.nn.softmax(log_p(x, params, targets)[1]))
        after = jnp.arange(steps + 1) > i
        return (
            jnp.where(after[:, None, None, None], x[None], images),
            jnp.where(after[:, None, None], probabilities[i][None], probabilities),
        )

    return jax.jit(run)


def counterfactual(
    graphdef, params, images, targets, raw_pixels: bool = False, steps: int = STEPS, step_size: float = STEP_SIZE
) -> Counterfactual:
    """Gradient steps on the pixels that raise each image's log-probability of its target digit,
    each of L2 size ``step_size``, kept in [0, 1], until the target is the model's top class or
    ``steps`` have been taken. What changed shows what this model needs to see a different digit."""
    x = jnp.asarray(model_input(images))
    targets = np.broadcast_to(np.asarray(targets, np.int32), (len(x),))
    if ((targets < 0) | (targets > 9)).any():
        raise ValueError(f"target digits must be 0 to 9; got {sorted(set(targets.tolist()))}")
    images, probabilities = _compiled_counterfactual(graphdef, raw_pixels, int(steps), float(step_size))(
        params, x, jnp.asarray(targets)
    )
    return Counterfactual(targets, np.asarray(images), np.asarray(probabilities))
