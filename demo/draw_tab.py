"""Draw: one drawing, four views of it (the answer, every model, inside a model, what would make it
another digit). Each stroke sends one event, and only the view on screen is computed."""
from types import SimpleNamespace

import gradio as gr
import numpy as np

import compare_tab
import inside_tab
import views
import whatif_tab
from shared import (DRAW_HINT, AppState, digit, drawing_canvas, drawing_digit, event_handler, labels, png_data_uri,
                    sketchpad)

VIEWS = ("Answer", "Compare", "Inside", "What would make it a...?")


def show(state: AppState, drawing, model_name, view, target, mine=None) -> dict:
    """The shown view for the canvas's drawing; the other views keep what they showed."""
    image = drawing_digit(drawing)
    if view == "Compare":
        return compare_tab.view(state, image, mine)
    if view == "Inside":
        return inside_tab.view(state, image, model_name, mine)
    if view == VIEWS[3]:
        return whatif_tab.view(state, image, target, mine)
    return answer(state, image, model_name, mine)


def answer(state: AppState, image, model_name, mine=None) -> dict:
    """The probabilities, what the model sees (the 28x28 input) and which pixels carried its answer."""
    if image is None:
        return {"label": DRAW_HINT, "views": views_html()}
    predictor = state.predictor(model_name, mine)
    return {"label": labels(predictor.predict(image)[0]), "views": views_html(image, predictor.saliency(image))}


def views_html(seen: np.ndarray | None = None, saliency: np.ndarray | None = None) -> str:
    """What the model sees and its saliency (integrated gradients, with its colour scale), side by side,
    as inline 28x28 PNGs shown at 224x224."""
    captions = ("What the model sees (28x28)", "Pixels for (red) and against (blue) the answer")
    if seen is None:
        return "".join(f'<figure class="view"><figcaption>{c}</figcaption><div class="empty"></div></figure>'
                       for c in captions)
    return (f'<figure class="view"><figcaption>{captions[0]}</figcaption>'
            f'<img src="{png_data_uri(seen)}" alt="{captions[0]}"></figure>'
            f'<figure class="view"><figcaption>{captions[1]}</figcaption>'
            f'{views.saliency_map(saliency, 224, captions[1])}</figure>')


def predict(state: AppState, sketch, model_name, mine=None):
    """The `predict` endpoint: class probabilities of a Sketchpad value or image for one model."""
    predictor = state.predictor(model_name, mine)
    image = digit(sketch)
    return DRAW_HINT if image is None else labels(predictor.predict(image)[0])


def build(state: AppState, mine: gr.State) -> SimpleNamespace:
    """The tab's components and events; returns the model selector (the Train tab adds visitors' models)."""
    shown = {}
    with gr.Tab("Draw") as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=360):
                canvas = drawing_canvas()
                model = gr.Dropdown(state.names, value=state.names[0], label="Model (Answer and Inside)")
            with gr.Column(scale=3):
                view = gr.State(VIEWS[0])
                tabs = {}
                with gr.Tabs():
                    with gr.Tab(VIEWS[0]) as tabs[VIEWS[0]]:
                        shown["label"] = gr.Label(num_top_classes=10, label="Prediction", value=DRAW_HINT)
                        shown["views"] = gr.HTML(views_html())
                    with gr.Tab(VIEWS[1]) as tabs[VIEWS[1]]:
                        shown.update(compare_tab.build(state))
                    with gr.Tab(VIEWS[2]) as tabs[VIEWS[2]]:
                        shown.update(inside_tab.build())
                    with gr.Tab(VIEWS[3]) as tabs[VIEWS[3]]:
                        shown.update(whatif_tab.build())
        target = shown.pop("target")
        # For API users only (gradio_client, the README): a Sketchpad value or any image in, the answer out.
        with gr.Row(visible=False):
            api_sketch, api_target = sketchpad(), gr.Number(3, precision=0)
            api = {name: (gr.Button(), shown["label"] if name == "predict" else gr.JSON())
                   for name in ("predict", "compare", "activations", "counterfactual")}
    inputs = [canvas, model, view, target, mine]
    redraw = event_handler(show, state, shown)
    gr.on([canvas.change, model.change, target.change], redraw, inputs, list(shown.values()), api_name="draw",
          api_visibility="undocumented", trigger_mode="always_last", show_progress="hidden", concurrency_id="predict")
    for name, view_tab in tabs.items():
        view_tab.select(lambda name=name: name, None, view, api_name=False, queue=False).then(
            redraw, inputs, list(shown.values()), api_name=False, show_progress="hidden", concurrency_id="predict")
    endpoints = {"predict": (predict, [api_sketch, model, mine]), "compare": (compare_tab.compare, [api_sketch, mine]),
                 "activations": (inside_tab.activations, [api_sketch, model, mine]),
                 "counterfactual": (whatif_tab.counterfactual, [api_sketch, model, api_target, mine])}
    for name, (fn, fn_inputs) in endpoints.items():
        button, output = api[name]
        button.click(event_handler(fn, state), fn_inputs, output, api_name=name, concurrency_id="predict")
    return SimpleNamespace(tab=tab, model=model)
