"""Inside a network: every layer's output for one image, and the first layer's weights as images.

Both come from the models' own forward pass (``models.run_stages`` records each named stage),
so what is shown is what the network computes, without Gradio.
"""

import dataclasses
import functools

import jax
import numpy as np
from flax import nnx

from mnist_flax.forward import model_input, network_input


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer's output for one image: (H, W, C) feature maps, or (units,) for a dense layer."""

    name: str
    values: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def as_dict(self, decimals: int = 4) -> dict:
        return {"name": self.name, "shape": list(self.shape), "values": np.round(self.values, decimals).tolist()}


@functools.lru_cache(maxsize=64)
def _compiled_layers(graphdef, raw_pixels: bool):
    """The jitted pass that returns every layer's output, and their names (known once it is traced)."""
    names = []

    def layers(params, x, temperature):
        record = []
        logits = nnx.merge(graphdef, params)(network_input(x, raw_pixels), record=record)
        names[:] = ["input", *(name for name, _ in record), "softmax"]
        return [x[..., None], *(values for _, values in record), jax.nn.softmax(logits / temperature)]

    return jax.jit(layers), names


def layer_activations(graphdef, params, image, raw_pixels: bool = False, temperature: float = 1.0) -> list[Layer]:
    """Every layer of the network on one image (any form ``forward.model_input`` accepts), in order:
    the input image in [0, 1] (28, 28, 1), each layer's output, and the softmax (10,) of the logits
    divided by ``temperature`` (a ``Predictor``'s calibration: then it equals ``predict``)."""
    x = model_input(image)[:1]
    forward, names = _compiled_layers(graphdef, raw_pixels)
    outputs = forward(params, x, np.float32(temperature))
    return [Layer(name, np.asarray(values)[0]) for name, values in zip(names, outputs)]


def first_layer_weights(model: nnx.Module) -> np.ndarray:
    """The weights that look at the pixels, one image per unit: (32, 3, 3) for the conv nets' first
    convolution, (units, 28, 28) for an MLP's first dense layer."""
    kernel = np.asarray(model.first_layer.kernel[...])
    if kernel.ndim == 4:  # (3, 3, 1, channels)
        return kernel[:, :, 0, :].transpose(2, 0, 1)
    return kernel.T.reshape(-1, 28, 28)  # (784, units)
