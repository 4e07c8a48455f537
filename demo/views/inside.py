"""Inside: every layer of one model on the drawing, from the input to the softmax."""

import html

import gradio as gr
import numpy as np

from demo import pictures
from demo.state import AppState, digit
from demo.views import DRAW_HINT
from mnist_flax.inside import first_layer_weights

TEMPLATES = 8  # an MLP's most active first-layer units shown with their weights


def view(state: AppState, image, model_name, mine=None) -> dict:
    """The Inside view of one model on one digit (None: the canvas is empty)."""
    if image is None:
        return {"inside": f"<p>{DRAW_HINT}: every layer of the model will show here.</p>"}
    predictor = state.predictor(model_name, mine)
    sections = []
    for i, layer in enumerate(predictor.layers(image)):
        title = f"{html.escape(layer.name)} · {' x '.join(map(str, layer.shape))}"
        if layer.name == "softmax":
            body = pictures.bars(layer.values)
        elif layer.values.ndim == 3:
            body = pictures.feature_maps(layer.values)
        else:
            body = pictures.units(layer.values)
            if i == 1 and layer.values.ndim == 1:  # an MLP's first dense layer: what its units look for
                body += templates(first_layer_weights(predictor.model), layer.values)
        sections.append(f'<section class="layer"><h4>{title}</h4>{body}</section>')
    return {"inside": '<div class="inside">' + "".join(sections) + "</div>"}


def templates(weights: np.ndarray, activations: np.ndarray) -> str:
    """The first-layer weights of the most active units as 28x28 images: the strokes each looks for."""
    top = np.argsort(-activations)[:TEMPLATES]
    _, high, signed = pictures.colours(weights[top])
    figures = "".join(
        f"<figure>{pictures.picture(pictures.colours(weights[u], high)[0], 84, f'unit {u} weights')}"
        f"<figcaption>unit {u}: {activations[u]:.2f}</figcaption></figure>"
        for u in top
    )
    return (
        f"<p>The {TEMPLATES} most active units' weights (red: ink here excites the unit, blue: inhibits)</p>"
        f'<div class="tiles">{figures}</div>' + pictures.legend(high, signed)
    )


def activations(state: AppState, image_path: str, model_name: str = "cnn", mine=None):
    """Every layer's output of one MNIST model on an image of a digit, from input to softmax.

    Args:
        image_path: an image of one digit (a file path or URL), read as in `predict`.
        model_name: cnn, deep_cnn, mlp, shallow_mlp or vanilla_mlp.

    Returns:
        The model's layers in order, each with its name, shape and values.
    """
    image = digit(image_path)
    if image is None:
        return {"message": DRAW_HINT}
    return {
        "model": model_name,
        "layers": [layer.as_dict() for layer in state.predictor(model_name, mine).layers(image)],
    }


def build() -> dict:
    return {"inside": gr.HTML(view(None, None, None)["inside"])}
