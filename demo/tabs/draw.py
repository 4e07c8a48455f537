"""Draw: one drawing, four views of it (the answer, every model, inside a model, what would make it
another digit). Each stroke sends one event, and only the view on screen is computed. Examples and
photos are put on the canvas, and from there go the same way; a visitor may correct a wrong answer."""

import os
from types import SimpleNamespace

import gradio as gr
import numpy as np

import mnist_flax
from demo import examples
from demo.adapter import ImageInput, event_handler
from demo.canvas import canvas_value, drawing_canvas, drawing_digit, drawing_ink, drawing_partial
from demo.state import AppState, page_error
from demo.views import DRAW_HINT, answer, compare, inside, what_if
from mnist_flax import feedback, reader

VIEWS = ("Answer", "Compare", "Inside", "What would make it a...?")
EXAMPLE_INKS = examples.example_inks()
EXAMPLE_VALUES = {name: canvas_value(ink) for name, ink in EXAMPLE_INKS.items()}  # as the canvas holds them


def show(state: AppState, drawing, model_name, view, target, mine=None) -> dict:
    """The shown view for the canvas's drawing; the other views keep what they showed. While the pen is down
    (a partial drawing, sent only while the Answer view is on screen) the answer's probabilities alone follow
    it, and the pictures come when the stroke ends. An example's answer is computed once per bundled model and
    kept."""
    if drawing_partial(drawing):
        return answer.probabilities(state, drawing_digit(drawing), model_name, mine) if view == VIEWS[0] else {}
    if view == VIEWS[0] and drawing in EXAMPLE_VALUES.values() and model_name in state.models:
        return state.remember(
            ("answer", drawing, model_name), lambda: view_of(state, drawing, model_name, view, target)
        )
    return view_of(state, drawing, model_name, view, target, mine)


def view_of(state: AppState, drawing, model_name, view, target, mine=None) -> dict:
    image = drawing_digit(drawing)
    if view == VIEWS[1]:
        return compare.view(state, image, mine)
    if view == VIEWS[2]:
        return inside.view(state, image, model_name, mine)
    if view == VIEWS[3]:
        return what_if.view(state, image, target, mine)
    return answer.view(state, image, model_name, mine)


def example(state: AppState, selected: gr.SelectData) -> dict:
    """A clicked example goes onto the canvas (whose change then shows it, from what is kept)."""
    return {"canvas": list(EXAMPLE_VALUES.values())[selected.index], "photo": None}


def from_photo(state: AppState, path) -> dict:
    """An uploaded or webcam photo of a digit on paper: its ink goes onto the canvas; the photo is kept
    beside it in case the visitor sends a correction."""
    if not path:
        return {}
    try:
        ink = reader.read(path).ink
    except mnist_flax.SketchError as e:
        raise page_error(e) from None
    value = canvas_value(np.round(ink * 255).astype(np.uint8))
    return {"canvas": value, "photo": {"value": value, "path": str(path)}}


def correct(state: AppState, drawing, label, photo) -> None:
    """ "Wrong? It is a ...": keeps the drawing (as received and 28x28), the label and every model's answer
    (``feedback.save_correction``), only on this click."""
    image = drawing_digit(drawing)
    if image is None:
        raise gr.Error("Draw a digit first, then say which digit it is.")
    if label in (None, ""):
        raise gr.Error("Choose the right digit first.")
    probabilities = {name: model.predict(image)[0] for name, model in state.models.items()}
    source = photo["path"] if photo and photo.get("value") == drawing and os.path.isfile(photo["path"]) else None
    feedback.save_correction(feedback.feedback_dir(), drawing_ink(drawing), image, int(label), probabilities, source)
    gr.Info(f"Thank you: kept as a {int(label)}, with every model's answer.")


def kept_notice(state: AppState) -> str:
    """What a correction keeps, and where: the page says so before anyone clicks."""
    where = "on this server"
    if state.feedback_sync is not None:
        where += f" and in the Hugging Face dataset {os.environ.get(feedback.DATASET_ENV)}"
    return (
        f"Sending a correction keeps, {where}: the drawing (or photo) as sent, the 28x28 digit the models "
        "saw, the digit you chose and every model's answer. Nothing is kept unless you click."
    )


def answer_examples(state: AppState):
    """The examples' answers with the default model, kept (``show``): a click on one is answered at once."""
    for value in EXAMPLE_VALUES.values():
        show(state, value, state.names[0], VIEWS[0], 3)


def build(state: AppState, mine: gr.State) -> SimpleNamespace:
    """The tab's components and events; returns the model selector (the Train tab adds visitors' models)."""
    shown = {}
    with gr.Tab("Draw") as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=360):
                canvas = drawing_canvas()
                model = gr.Dropdown(state.names, value=state.names[0], label="Model (Answer and Inside)")
                photo = ImageInput(
                    sources=["upload", "webcam"], type="filepath", height=200, label="Or a photo of a digit on paper"
                )
                photo_kept = gr.State(None)
            with gr.Column(scale=3):
                view = gr.State(VIEWS[0])
                tabs = {}
                with gr.Tabs():
                    with gr.Tab(VIEWS[0]) as tabs[VIEWS[0]]:
                        shown["verdict"] = gr.HTML("")
                        shown["label"] = gr.Label(num_top_classes=10, label="Prediction", value=DRAW_HINT)
                        shown["views"] = gr.HTML(answer.pictures(), elem_classes="answer-pictures")
                        with gr.Row():
                            right = gr.Dropdown(
                                [str(d) for d in range(10)], value=None, label="Wrong? It is a", scale=1, min_width=120
                            )
                            send = gr.Button("Send the correction", scale=1)
                        gr.Markdown(kept_notice(state), elem_classes="kept")
                    with gr.Tab(VIEWS[1]) as tabs[VIEWS[1]]:
                        shown.update(compare.build(state))
                    with gr.Tab(VIEWS[2]) as tabs[VIEWS[2]]:
                        shown.update(inside.build())
                    with gr.Tab(VIEWS[3]) as tabs[VIEWS[3]]:
                        shown.update(what_if.build())
        gallery = gr.Gallery(
            [(255 - ink, name) for name, ink in EXAMPLE_INKS.items()],
            label="Examples: click one (clean digits, hard ones that split the models, and two that are not digits)",
            columns=12,
            height=140,
            allow_preview=False,
            object_fit="contain",
        )
        target = shown.pop("target")
        # For API and MCP users only (gradio_client, MCP clients, the README): an image file or URL in.
        with gr.Row(visible=False):
            api_image, api_target = ImageInput(type="filepath", label="Image of a digit"), gr.Number(3, precision=0)
            api = {name: (gr.Button(), gr.JSON()) for name in ("predict", "compare", "activations", "counterfactual")}
    inputs = [canvas, model, view, target, mine]
    redraw = event_handler(show, state, shown)
    gr.on(
        [canvas.change, model.change, target.change],
        redraw,
        inputs,
        list(shown.values()),
        api_name="draw",
        api_visibility="undocumented",
        trigger_mode="always_last",
        show_progress="hidden",
        concurrency_id="predict",
    )
    for name, view_tab in tabs.items():
        view_tab.select(lambda name=name: name, None, view, api_name=False, queue=False).then(
            redraw, inputs, list(shown.values()), api_name=False, show_progress="hidden", concurrency_id="predict"
        )
    endpoints = {
        "predict": (answer.predict, [api_image, model, mine]),
        "compare": (compare.compare, [api_image, mine]),
        "activations": (inside.activations, [api_image, model, mine]),
        "counterfactual": (what_if.counterfactual, [api_image, model, api_target, mine]),
    }
    placed = {"canvas": canvas, "photo": photo_kept}
    gallery.select(
        event_handler(example, state, placed), None, list(placed.values()), api_name=False, show_progress="hidden"
    )
    photo.upload(event_handler(from_photo, state, placed), photo, list(placed.values()), api_name=False)
    send.click(event_handler(correct, state), [canvas, right, photo_kept], None, api_name=False)
    for name, (fn, fn_inputs) in endpoints.items():
        button, output = api[name]
        button.click(event_handler(fn, state), fn_inputs, output, api_name=name, concurrency_id="predict")
    return SimpleNamespace(tab=tab, model=model)
