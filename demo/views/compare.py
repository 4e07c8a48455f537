"""Compare: the same drawing through every model, with the pixels each relied on, and the
architectures side by side."""

import html
import time

import gradio as gr
import numpy as np

from demo import pictures
from demo.adapter import labels
from demo.state import AppState, digit
from demo.views import DRAW_HINT
from mnist_flax import MODELS
from mnist_flax.models import count_params, forward_flops


def compare(state: AppState, image_path: str, mine=None):
    """Reads the handwritten digit (0-9) in an image with all five MNIST models, from a 4x50 sigmoid MLP
    that fails on purpose to a deep CNN, so that their answers can be compared.

    Args:
        image_path: an image of one digit: a drawing, a photo of a digit on paper or an MNIST image (a file
            path or URL); it is cropped, centred and scaled to 28x28 as MNIST was.

    Returns:
        Per model: its answer (top), the calibrated probability of each digit, its number of parameters,
        its accuracy on the MNIST test set and the milliseconds it took.
    """
    return results(state, digit(image_path), mine)


def view(state: AppState, image, mine=None) -> dict:
    """The Compare view of one digit (None: the canvas is empty): one piece of HTML, so that a stroke
    updates one component (each output of an event costs Gradio time, even one left unchanged)."""
    return {"compare": cards(state, results(state, image, mine), image, mine)}


def results(state: AppState, image, mine=None) -> dict:
    """Every model (the visitor's too) on one digit: top guess, probabilities, parameters, test accuracy, time."""
    if image is None:
        return {"message": DRAW_HINT}
    results = {}
    for name in state.names + list(mine or ()):
        predictor = state.predictor(name, mine)
        start = time.perf_counter()
        probabilities = predictor.predict(image)[0]
        elapsed_ms = (time.perf_counter() - start) * 1000
        results[name] = {
            "top": int(probabilities.argmax()),
            "probabilities": labels(probabilities),
            "parameters": count_params(predictor.model),
            "test_accuracy": predictor.test_accuracy,
            "ms": round(elapsed_ms, 3),
        }
    return results


def cards(state: AppState, results, image, mine=None) -> str:
    """A summary line and, per model, its top three classes, the pixels it relied on and a caption."""
    if "message" in results:
        return f"<h3>{results['message']}</h3>"
    votes = {}
    for name, r in results.items():
        votes.setdefault(r["top"], []).append(name)
    if len(votes) == 1:
        summary = f"All {len(results)} models say <b>{next(iter(votes))}</b>"
    else:
        summary = "The models disagree: " + "; ".join(
            f"<b>{d}</b> ({', '.join(names)})" for d, names in sorted(votes.items(), key=lambda kv: -len(kv[1]))
        )
    cells = []
    for name, r in results.items():
        probabilities = np.array(list(r["probabilities"].values()))
        saliency = state.predictor(name, mine).saliency(image)
        cells.append(
            f'<figure class="card"><figcaption><b>{html.escape(name)}</b> says <b>{r["top"]}</b></figcaption>'
            f"{pictures.bars(probabilities, top=3)}{pictures.saliency_map(saliency, 112)}"
            f"<figcaption>{r['parameters']:,} parameters · test accuracy {r['test_accuracy']:.2%} · "
            f"{r['ms']:.2f} ms</figcaption></figure>"
        )
    return f'<h3>{summary}</h3><div class="tiles maps">{"".join(cells)}</div>'


def architecture_table(state: AppState) -> list[list]:
    rows = []
    for name, entry in MODELS.items():
        model = state.models[name].model if name in state.models else entry.build(0)
        accuracy = state.models[name].test_accuracy if name in state.models else None
        rows.append(
            [
                name,
                entry.description,
                f"{count_params(model):,}",
                f"{forward_flops(model) / 1e6:.2f} M",
                f"{entry.tutorial_accuracy}%",
                f"{accuracy:.2%}" if accuracy else "not bundled",
            ]
        )
    return rows


def build(state: AppState) -> dict:
    """The view's components, keyed by name."""
    shown = {"compare": gr.HTML(cards(state, results(state, None), None))}
    gr.Markdown(
        "Under each model: the pixels that carried its answer (integrated gradients), red for it and blue "
        "against it. The models rest on different strokes."
    )
    gr.Dataframe(
        architecture_table(state),
        headers=["model", "layers", "parameters", "FLOPs / image", "tutorial accuracy", "bundled accuracy"],
        interactive=False,
        wrap=True,
        column_widths=["12%", "40%", "12%", "12%", "12%", "12%"],
    )
    return shown
