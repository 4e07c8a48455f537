"""Draw: a digit, one model's probabilities, what the model sees and the pixels that pushed it."""
from types import SimpleNamespace

import gradio as gr
import numpy as np

from shared import DRAW_HINT, AppState, digit, event_handler, labels, sketchpad, zoom


def predict(state: AppState, sketch, model_name, mine=None):
    """Class probabilities of the drawing for one model."""
    predictor = state.predictor(model_name, mine)
    image = digit(sketch)
    return DRAW_HINT if image is None else labels(predictor.predict(image)[0])


def explain(state: AppState, sketch, model_name, mine=None):
    """What the model sees (the 28x28 input, enlarged) and which pixels pushed its answer (saliency, red)."""
    image = digit(sketch)
    if image is None:
        return None, None
    saliency = state.predictor(model_name, mine).saliency(image)
    base = image.astype(np.float32) / 255.0 * 0.6
    heat = saliency / max(float(saliency.max()), 1e-12)
    overlay = np.stack([np.maximum(base, heat), base * (1 - heat), base * (1 - heat)], -1)
    return zoom(image), zoom(np.round(overlay * 255).astype(np.uint8))


def build(state: AppState, mine: gr.State) -> SimpleNamespace:
    """The tab's components and events; returns the model selector (the Train tab adds visitors' models)."""
    with gr.Tab("Draw") as tab:
        with gr.Row():
            with gr.Column():
                draw = sketchpad()
                model = gr.Dropdown(state.names, value=state.names[0], label="Model")
            with gr.Column():
                label = gr.Label(num_top_classes=10, label="Prediction", value=DRAW_HINT)
                with gr.Row():
                    seen = gr.Image(label="What the model sees (28x28)", height=224, interactive=False)
                    saliency = gr.Image(label="Pixels that pushed the prediction", height=224, interactive=False)
    for trigger in (draw.change, model.change):
        trigger(event_handler(predict, state), [draw, model, mine], label,
                api_name="predict" if trigger == draw.change else False, trigger_mode="always_last",
                show_progress="hidden", concurrency_id="predict").then(
            event_handler(explain, state), [draw, model, mine], [seen, saliency], api_name=False,
            show_progress="hidden", concurrency_id="predict")
    return SimpleNamespace(tab=tab, sketchpad=draw, model=model)
