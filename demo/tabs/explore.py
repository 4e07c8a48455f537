"""Explore: one model's confusion matrix, accuracy per digit, and the test digits it gets wrong."""

from types import SimpleNamespace

import gradio as gr

from demo.adapter import event_handler, labels
from demo.pictures import zoom
from demo.state import AppState
from mnist_flax import plots
from mnist_flax.calibration import calibrated, reliability


def explore(state: AppState, model_name, max_images=60) -> dict:
    """Confusion matrix, per-class accuracy and misclassified test digits of one model."""
    test, ev = state.mnist().test, state.evaluation(model_name)
    predicted = ev.probabilities.argmax(1)
    gallery = [(zoom(test.images[i]), f"R: {test.labels[i]} P: {predicted[i]}") for i in ev.misclassified[:max_images]]
    return {
        "summary": f"### {model_name}: {ev.accuracy:.2%} of the 10,000 test digits right, "
        f"{len(ev.misclassified)} wrong (showing {len(gallery)})",
        "confusion": plots.confusion_matrix(ev.confusion, model_name),
        "per_class": plots.per_class_accuracy(ev.per_class_accuracy, model_name),
        "reliability": reliability_plot(state, model_name),
        "gallery": gallery,
        "shown": ev.misclassified[:max_images].tolist(),
    }


def reliability_plot(state: AppState, model_name):
    """How far the model's probabilities on the test set mean what they say, raw and calibrated."""
    temperature, labels = state.predictor(model_name).temperature, state.mnist().test.labels
    raw = state.evaluation(model_name).probabilities
    curves = {
        "raw softmax": reliability(raw, labels),
        f"calibrated (temperature {temperature:.2f})": reliability(calibrated(raw, temperature), labels),
    }
    return plots.reliability_diagram(curves, f"{model_name} on the 10,000 test digits")


def misclassified_probabilities(state: AppState, model_name, shown, event: gr.SelectData):
    """The (calibrated) probabilities of the misclassified digit the visitor clicked."""
    raw = state.evaluation(model_name).probabilities[shown[event.index]]
    return labels(calibrated(raw, state.predictor(model_name).temperature))


def build(state: AppState) -> SimpleNamespace:
    with gr.Tab("Explore") as tab:
        model = gr.Dropdown(state.names, value=state.names[0], label="Model")
        shown = {"summary": gr.Markdown()}
        with gr.Row():
            shown["confusion"] = gr.Plot(label="Confusion matrix (rows: true digit)")
            shown["per_class"] = gr.Plot(label="Accuracy per digit")
        shown["reliability"] = gr.Plot(label="Reliability: do its probabilities mean what they say?")
        with gr.Row():
            shown["gallery"] = gr.Gallery(
                label="Misclassified test digits (R: true, P: predicted); click one",
                columns=10,
                height=360,
                allow_preview=False,
            )
            picked = gr.Label(num_top_classes=4, label="Its probabilities")
        shown["shown"] = gr.State([])
    handler = event_handler(explore, state, shown)
    model.change(handler, model, list(shown.values()), api_name="explore")
    tab.select(handler, model, list(shown.values()), api_name=False)  # not at page load
    shown["gallery"].select(
        event_handler(misclassified_probabilities, state), [model, shown["shown"]], picked, api_name=False
    )
    return SimpleNamespace(tab=tab)
