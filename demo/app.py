"""MNIST in Flax: draw a digit, compare the five Keras tutorial architectures, explore their mistakes.

    python demo/app.py        # then open http://127.0.0.1:7860

The app only builds components and wires events; models, preprocessing, prediction
and evaluation come from the mnist_flax library.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

import mnist_flax  # noqa: E402
from mnist_flax import MODELS, plots  # noqa: E402
from mnist_flax.models import count_params, forward_flops  # noqa: E402
from mnist_flax.prediction import load_bundled_models  # noqa: E402
from mnist_flax.sketch import BlankSketchError, SketchError, preprocess_sketch  # noqa: E402

DRAW_HINT = "Draw a digit"
# Gradio's Sketchpad opens (and clears) with no tool selected; select the brush so visitors can draw at once.
SELECT_BRUSH = """() => setTimeout(() => document.querySelectorAll('button[aria-label="Brush"]').forEach(
    b => { if (!b.classList.contains('highlight')) b.click(); }), 300)"""
ZOOM = 8  # the 28x28 views are shown at 224x224


def _best_first(models):
    return sorted(models, key=lambda n: -(models[n].test_accuracy or 0))


MODELS_LOADED = load_bundled_models()
MODEL_NAMES = _best_first(MODELS_LOADED)
if not MODEL_NAMES:
    sys.exit("No bundled weights found in mnist_flax/weights: run python scripts/reproduce.py --recipes best --bundle")


def _predictor(name):
    if name not in MODELS_LOADED:
        raise gr.Error(f"Unknown model {name!r}: choose one of {', '.join(MODEL_NAMES)}.")
    return MODELS_LOADED[name]


def _digit(sketch):
    """The MNIST-format digit, or None for a blank canvas; unreadable input is a gr.Error."""
    try:
        return preprocess_sketch(sketch)
    except BlankSketchError:
        return None
    except SketchError as e:
        raise gr.Error(str(e))


def _zoom(image):
    return image.repeat(ZOOM, 0).repeat(ZOOM, 1)


def _labels(probabilities):
    return {str(i): float(p) for i, p in enumerate(probabilities)}


def predict(sketch, model_name):
    """Class probabilities of the drawing for one model."""
    predictor = _predictor(model_name)
    digit = _digit(sketch)
    return DRAW_HINT if digit is None else _labels(predictor.predict(digit)[0])


def explain(sketch, model_name):
    """What the model sees (the 28x28 input) and which pixels pushed its answer (saliency, red)."""
    digit = _digit(sketch)
    if digit is None or model_name not in MODELS_LOADED:
        return None, None
    saliency = MODELS_LOADED[model_name].saliency(digit)
    base = digit.astype(np.float32) / 255.0 * 0.6
    heat = saliency / max(float(saliency.max()), 1e-12)
    overlay = np.stack([np.maximum(base, heat), base * (1 - heat), base * (1 - heat)], -1)
    return _zoom(digit), _zoom(np.round(overlay * 255).astype(np.uint8))


def compare(sketch):
    """Every model on the same drawing: top guess, probabilities, parameters, test accuracy, time."""
    digit = _digit(sketch)
    if digit is None:
        return {"message": DRAW_HINT}
    results = {}
    for name in MODEL_NAMES:
        predictor = MODELS_LOADED[name]
        start = time.perf_counter()
        probabilities = predictor.predict(digit)[0]
        elapsed_ms = (time.perf_counter() - start) * 1000
        results[name] = {"top": int(probabilities.argmax()), "probabilities": _labels(probabilities),
                         "parameters": count_params(predictor.model), "test_accuracy": predictor.test_accuracy,
                         "ms": round(elapsed_ms, 3)}
    return results


def compare_cards(results):
    """The compare endpoint's JSON as a summary line and one card per model."""
    if "message" in results:
        return [f"### {results['message']}"] + [None] * len(MODEL_NAMES) + [""] * len(MODEL_NAMES)
    votes = {}
    for name, r in results.items():
        votes.setdefault(r["top"], []).append(name)
    if len(votes) == 1:
        summary = f"### All {len(results)} models say **{next(iter(votes))}**"
    else:
        summary = "### The models disagree: " + "; ".join(
            f"**{digit}** ({', '.join(names)})" for digit, names in sorted(votes.items(), key=lambda kv: -len(kv[1])))
    labels = [results[n]["probabilities"] for n in MODEL_NAMES]
    cards = [f"{results[n]['parameters']:,} parameters · test accuracy {results[n]['test_accuracy']:.2%} · "
             f"{results[n]['ms']:.2f} ms" for n in MODEL_NAMES]
    return [summary, *labels, *cards]


def architecture_table():
    rows = []
    for name, entry in MODELS.items():
        model = MODELS_LOADED[name].model if name in MODELS_LOADED else entry.build(0)
        accuracy = MODELS_LOADED[name].test_accuracy if name in MODELS_LOADED else None
        rows.append([name, entry.description, f"{count_params(model):,}", f"{forward_flops(model) / 1e6:.2f} M",
                     f"{entry.tutorial_accuracy}%", f"{accuracy:.2%}" if accuracy else "not bundled"])
    return rows


_test_set = {}


def _evaluation(model_name):
    """The model's evaluation on the MNIST test set (loaded on first use), cached."""
    if "data" not in _test_set:
        try:
            _test_set["data"] = mnist_flax.load_mnist().test
        except mnist_flax.MnistError as e:
            raise gr.Error(f"The MNIST test set is not available: {e}")
    key = ("evaluation", model_name)
    if key not in _test_set:
        predictor = _predictor(model_name)
        _test_set[key] = mnist_flax.evaluate(predictor.model, _test_set["data"], raw_pixels=predictor.raw_pixels)
    return _test_set["data"], _test_set[key]


def explore(model_name, max_images=60):
    """Confusion matrix, per-class accuracy and misclassified test digits of one model."""
    test, ev = _evaluation(model_name)
    predicted = ev.probabilities.argmax(1)
    gallery = [(_zoom(test.images[i]), f"R: {test.labels[i]} P: {predicted[i]}") for i in ev.misclassified[:max_images]]
    summary = (f"### {model_name}: {ev.accuracy:.2%} of the 10,000 test digits right, "
               f"{len(ev.misclassified)} wrong (showing {len(gallery)})")
    per_class = plots.per_class_accuracy(ev.per_class_accuracy, model_name)
    return summary, plots.confusion_matrix(ev.confusion, model_name), per_class, gallery, ev.misclassified[:max_images]


def misclassified_probabilities(model_name, shown, event: gr.SelectData):
    _, ev = _evaluation(model_name)
    return _labels(ev.probabilities[shown[event.index]])


def sketchpad():
    return gr.Sketchpad(label="Draw a digit", type="numpy", canvas_size=(336, 336), layers=False, transforms=(),
                        brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"), height=420)


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST in Flax") as demo:
        gr.Markdown("# MNIST in Flax\nThe five classic Keras MNIST tutorial models, rebuilt in Flax NNX. "
                    "Draw a digit; every drawing is cropped, scaled to 20x20 and centred by its centre of mass, "
                    "as the MNIST digits were.")
        with gr.Tab("Draw") as draw_tab:
            with gr.Row():
                with gr.Column():
                    draw = sketchpad()
                    model = gr.Dropdown(MODEL_NAMES, value=MODEL_NAMES[0], label="Model")
                with gr.Column():
                    label = gr.Label(num_top_classes=10, label="Prediction", value=DRAW_HINT)
                    with gr.Row():
                        seen = gr.Image(label="What the model sees (28x28)", height=224, interactive=False)
                        saliency = gr.Image(label="Pixels that pushed the prediction", height=224, interactive=False)
            for trigger in (draw.change, model.change):
                trigger(predict, [draw, model], label, api_name="predict" if trigger == draw.change else False,
                        trigger_mode="always_last", show_progress="hidden", concurrency_id="predict").then(
                    explain, [draw, model], [seen, saliency], api_name=False, show_progress="hidden",
                    concurrency_id="predict")
        with gr.Tab("Compare") as compare_tab:
            with gr.Row():
                with gr.Column(scale=1):
                    compare_draw = sketchpad()
                with gr.Column(scale=2):
                    summary = gr.Markdown(f"### {DRAW_HINT}")
                    with gr.Row():
                        compare_labels, compare_texts = [], []
                        for name in MODEL_NAMES:
                            with gr.Column(min_width=120):
                                compare_labels.append(gr.Label(num_top_classes=3, label=name))
                                compare_texts.append(gr.Markdown())
            with gr.Accordion("Raw results (the compare endpoint's JSON)", open=False):
                raw = gr.JSON()
            gr.Dataframe(architecture_table(), headers=["model", "layers", "parameters", "FLOPs / image",
                                                        "tutorial accuracy", "bundled accuracy"], interactive=False)
            compare_draw.change(compare, compare_draw, raw, api_name="compare", trigger_mode="always_last",
                                show_progress="hidden", concurrency_id="predict").then(
                compare_cards, raw, [summary, *compare_labels, *compare_texts], api_name=False, show_progress="hidden")
        with gr.Tab("Explore"):
            explore_model = gr.Dropdown(MODEL_NAMES, value=MODEL_NAMES[0], label="Model")
            explore_summary = gr.Markdown()
            with gr.Row():
                confusion = gr.Plot(label="Confusion matrix (rows: true digit)")
                per_class = gr.Plot(label="Accuracy per digit")
            with gr.Row():
                gallery = gr.Gallery(label="Misclassified test digits (R: true, P: predicted); click one",
                                     columns=10, height=360, allow_preview=False)
                picked = gr.Label(num_top_classes=4, label="Its probabilities")
            shown = gr.State([])
            explore_outputs = [explore_summary, confusion, per_class, gallery, shown]
            explore_model.change(explore, explore_model, explore_outputs, api_name="explore")
            demo.load(explore, explore_model, explore_outputs, api_name=False)
            gallery.select(misclassified_probabilities, [explore_model, shown], picked, api_name=False)
        for event in (draw_tab.select, compare_tab.select, draw.clear, compare_draw.clear):
            event(None, js=SELECT_BRUSH)
    return demo


if __name__ == "__main__":
    build().queue(default_concurrency_limit=4).launch(js=SELECT_BRUSH)
