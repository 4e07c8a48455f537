"""Draw: a digit, one model's probabilities, what the model sees and the pixels that pushed it."""
from types import SimpleNamespace

import gradio as gr
import numpy as np

from shared import (DRAW_HINT, AppState, digit, drawing_canvas, drawing_digit, event_handler, labels, png_data_uri,
                    sketchpad)


def show(state: AppState, drawing, model_name, mine=None) -> dict:
    """Everything the tab shows for the canvas's drawing, from one event: the probabilities, what the
    model sees (the 28x28 input) and which pixels pushed its answer (saliency, red). Both images travel
    inside the page's HTML at 28x28 and the browser enlarges them: no image files to write and fetch."""
    predictor = state.predictor(model_name, mine)
    image = drawing_digit(drawing)
    if image is None:
        return {"label": DRAW_HINT, "views": views_html()}
    saliency = predictor.saliency(image)
    base = image.astype(np.float32) / 255.0 * 0.6
    heat = saliency / max(float(saliency.max()), 1e-12)
    overlay = np.stack([np.maximum(base, heat), base * (1 - heat), base * (1 - heat)], -1)
    return {"label": labels(predictor.predict(image)[0]),
            "views": views_html(image, np.round(overlay * 255).astype(np.uint8))}


def views_html(seen: np.ndarray | None = None, saliency: np.ndarray | None = None) -> str:
    """What the model sees and the saliency, side by side, as inline 28x28 PNGs shown at 224x224."""
    return "".join(f'<figure class="view"><figcaption>{caption}</figcaption>' + (
        f'<img src="{png_data_uri(image)}" alt="{caption}">' if image is not None else '<div class="empty"></div>')
        + "</figure>" for caption, image in (("What the model sees (28x28)", seen),
                                            ("Pixels that pushed the prediction", saliency)))


def predict(state: AppState, sketch, model_name, mine=None):
    """The `predict` endpoint: class probabilities of a Sketchpad value or image for one model."""
    predictor = state.predictor(model_name, mine)
    image = digit(sketch)
    return DRAW_HINT if image is None else labels(predictor.predict(image)[0])


def build(state: AppState, mine: gr.State) -> SimpleNamespace:
    """The tab's components and events; returns the model selector (the Train tab adds visitors' models)."""
    with gr.Tab("Draw") as tab:
        with gr.Row():
            with gr.Column():
                canvas = drawing_canvas()
                model = gr.Dropdown(state.names, value=state.names[0], label="Model")
            with gr.Column():
                shown = {"label": gr.Label(num_top_classes=10, label="Prediction", value=DRAW_HINT)}
                shown["views"] = gr.HTML(views_html())
        # For API users only (gradio_client, the README): a Sketchpad value or any image in, probabilities out.
        api_sketch, api_call = sketchpad(visible=False), gr.Button(visible=False)
    gr.on([canvas.change, model.change], event_handler(show, state, shown), [canvas, model, mine],
          list(shown.values()), api_name="draw", api_visibility="undocumented",  # the page's own event
          trigger_mode="always_last", show_progress="hidden", concurrency_id="predict")
    api_call.click(event_handler(predict, state), [api_sketch, model, mine], shown["label"], api_name="predict",
                   concurrency_id="predict")
    return SimpleNamespace(tab=tab, model=model)
