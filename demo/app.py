"""MNIST in Flax: draw a digit, compare the five Keras tutorial architectures, explore their mistakes.

    python demo/app.py        # then open http://127.0.0.1:7860

The app only builds components and wires events; models, preprocessing, prediction
and evaluation come from the mnist_flax library.
"""
import functools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import mnist_flax  # noqa: E402
from mnist_flax import MODELS, plots  # noqa: E402
from mnist_flax.jobs import OPTIMIZERS, Limits, TrainingJob, TrainSettings, curves, hidden_units_sweep  # noqa: E402
from mnist_flax.models import count_params, forward_flops  # noqa: E402
from mnist_flax.prediction import enable_compilation_cache, load_bundled_models, load_model  # noqa: E402
from mnist_flax.sketch import BlankSketchError, SketchError, preprocess_sketch  # noqa: E402

DRAW_HINT = "Draw a digit"
# Gradio's Sketchpad opens (and clears) with no tool selected; select the brush so visitors can draw at once.
SELECT_BRUSH = """() => setTimeout(() => document.querySelectorAll('button[aria-label="Brush"]').forEach(
    b => { if (!b.classList.contains('highlight')) b.click(); }), 300)"""
ZOOM = 8  # the 28x28 views are shown at 224x224


def _best_first(models):
    return sorted(models, key=lambda n: -(models[n].test_accuracy or 0))


enable_compilation_cache()
MODELS_LOADED = load_bundled_models()
MODEL_NAMES = _best_first(MODELS_LOADED)
if not MODEL_NAMES:
    sys.exit("No bundled weights found in mnist_flax/weights: run python scripts/reproduce.py --recipes best --bundle")


TRAIN_CONCURRENCY = int(os.environ.get("MNIST_FLAX_TRAIN_CONCURRENCY", "1"))  # training jobs at once
LIMITS = Limits(max_seconds=float(os.environ.get("MNIST_FLAX_TRAIN_SECONDS", "180")))
JOBS = {}  # session -> its running job (anything with .stop()), so closing the tab can stop it


def _predictor(name, mine=None):
    """A bundled model, or one this visitor trained (``mine``: name -> path of its weights)."""
    if name in MODELS_LOADED:
        return MODELS_LOADED[name]
    if mine and name in mine:
        return _visitor_model(mine[name])
    raise gr.Error(f"Unknown model {name!r}: choose one of {', '.join(MODEL_NAMES + list(mine or ()))}.")


@functools.lru_cache(maxsize=32)
def _visitor_model(path):
    return load_model(path)


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


def predict(sketch, model_name, mine=None):
    """Class probabilities of the drawing for one model."""
    predictor = _predictor(model_name, mine)
    digit = _digit(sketch)
    return DRAW_HINT if digit is None else _labels(predictor.predict(digit)[0])


def explain(sketch, model_name, mine=None):
    """What the model sees (the 28x28 input) and which pixels pushed its answer (saliency, red)."""
    digit = _digit(sketch)
    if digit is None:
        return None, None
    saliency = _predictor(model_name, mine).saliency(digit)
    base = digit.astype(np.float32) / 255.0 * 0.6
    heat = saliency / max(float(saliency.max()), 1e-12)
    overlay = np.stack([np.maximum(base, heat), base * (1 - heat), base * (1 - heat)], -1)
    return _zoom(digit), _zoom(np.round(overlay * 255).astype(np.uint8))


def compare(sketch, mine=None):
    """Every model (the visitor's too) on the same drawing: top guess, probabilities, parameters,
    test accuracy, time."""
    digit = _digit(sketch)
    if digit is None:
        return {"message": DRAW_HINT}
    results = {}
    for name in MODEL_NAMES + list(mine or ()):
        predictor = _predictor(name, mine)
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
    yours = [f"**{n}** says **{r['top']}** ({max(r['probabilities'].values()):.0%}) · test accuracy "
             f"{r['test_accuracy']:.2%}" for n, r in results.items() if n not in MODEL_NAMES]
    return [summary + ("\n\nYour models: " + "; ".join(yours) if yours else ""), *labels, *cards]


def architecture_table():
    rows = []
    for name, entry in MODELS.items():
        model = MODELS_LOADED[name].model if name in MODELS_LOADED else entry.build(0)
        accuracy = MODELS_LOADED[name].test_accuracy if name in MODELS_LOADED else None
        rows.append([name, entry.description, f"{count_params(model):,}", f"{forward_flops(model) / 1e6:.2f} M",
                     f"{entry.tutorial_accuracy}%", f"{accuracy:.2%}" if accuracy else "not bundled"])
    return rows


_cache = {}
_cache_lock = threading.Lock()


def _mnist():
    """MNIST, loaded on first use (Explore and Train need it; drawing does not)."""
    with _cache_lock:
        if "data" not in _cache:
            try:
                _cache["data"] = mnist_flax.load_mnist()
            except mnist_flax.MnistError as e:
                raise gr.Error(f"MNIST is not available: {e}")
        return _cache["data"]


def _evaluation(model_name):
    """A bundled model's evaluation on the MNIST test set, cached."""
    test = _mnist().test
    key = ("evaluation", model_name)
    if key not in _cache:
        predictor = _predictor(model_name)
        _cache[key] = mnist_flax.evaluate(predictor.model, test, raw_pixels=predictor.raw_pixels)
    return test, _cache[key]


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


DEFAULT_STEPS = 1500
RECIPES = ["tutorial", "best", "custom"]


def recipe_controls(model_name, recipe_name):
    """Fills the controls from the chosen model's registry recipe; 'custom' leaves them alone."""
    if recipe_name == "custom":
        return [gr.skip()] * 7
    recipe = mnist_flax.get_model_entry(model_name).recipe(recipe_name)
    available = len(mnist_flax.recipe_splits(recipe, _mnist())[0])
    steps = min(recipe.epochs * (available // recipe.batch_size), DEFAULT_STEPS)
    return [recipe.optimizer, recipe.learning_rate, recipe.batch_size, steps, available, recipe.augment,
            recipe.raw_pixels]


def _plot(rows):
    return pd.DataFrame(rows, columns=["step", "value", "series"])


def _progress_html(job):
    last = job.history[-1] if job.history else None
    if last is None or last["step"] == 0:
        return "Compiling..."
    done = last["step"] / last["total_steps"]
    return (f'<progress value="{done:.3f}" max="1" style="width:100%"></progress><br>'
            f"step {last['step']:,} / {last['total_steps']:,} · {job.elapsed:.0f} s · "
            f"{job.seconds_left:.0f} s left · {last['images_per_sec']:,.0f} images/s")


def train_model(model_name, recipe_name, optimizer, learning_rate, batch_size, steps, train_size, augment,
                raw_pixels, seed, mine, request: gr.Request):
    """Trains one model for this visitor, streaming the curves; ends with its test results and weights."""
    entry = mnist_flax.get_model_entry(model_name)
    base = entry.recipe(recipe_name) if recipe_name in ("tutorial", "best") else mnist_flax.Recipe()
    recipe = base.replace(optimizer=optimizer, learning_rate=float(learning_rate), batch_size=int(batch_size),
                          augment=bool(augment), raw_pixels=bool(raw_pixels))
    try:
        job = TrainingJob(TrainSettings(model_name, recipe, int(steps), int(train_size), int(seed)), _mnist(), LIMITS)
    except ValueError as e:
        raise gr.Error(str(e))
    JOBS[request.session_hash] = job
    shown = 0.0
    try:
        for job in job.run():
            if job.done or time.perf_counter() - shown > 0.5:
                shown = time.perf_counter()
                lines = curves(job.history)
                yield (_progress_html(job), f"**{job.status}** {job.message}", _plot(lines["loss"]),
                       _plot(lines["accuracy"]), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
    finally:
        JOBS.pop(request.session_hash, None)
    if job.evaluation is None:
        return
    mine = dict(mine or {})
    name = f"my {model_name} {len(mine) + 1}"
    path = Path(tempfile.mkdtemp(prefix="mnist_flax_")) / f"{name.replace(' ', '_')}.safetensors"
    mnist_flax.save_checkpoint(path, job.model, model_name, recipe, test_accuracy=job.evaluation.accuracy,
                               epochs=round(job.history[-1]["epoch"], 2), train_size=int(train_size))
    mine[name] = str(path)
    choices = gr.Dropdown(choices=MODEL_NAMES + list(mine))
    result = (f"### {name}: test accuracy {job.evaluation.accuracy:.2%}\nIt is now in the model selector of the "
              f"Draw tab and in the Compare tab (for you only).")
    yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(), result,
           plots.confusion_matrix(job.evaluation.confusion, name), str(path), choices, mine)


def stop_training(request: gr.Request):
    """Stops this visitor's run (never another's); it keeps what it learned."""
    job = JOBS.get(request.session_hash)
    if job is not None:
        job.stop()


def hidden_units(steps, request: gr.Request):
    """Test accuracy of a one-hidden-layer MLP against its width, point by point."""
    stop = threading.Event()
    JOBS[request.session_hash] = SimpleNamespace(stop=stop.set)
    points = []
    try:
        for width, accuracy in hidden_units_sweep(_mnist(), steps=int(steps), stop=stop):
            points.append((width, accuracy, "test accuracy"))
            yield pd.DataFrame(points, columns=["hidden units", "accuracy", "series"])
    finally:
        JOBS.pop(request.session_hash, None)


def sketchpad():
    return gr.Sketchpad(label="Draw a digit", type="numpy", canvas_size=(336, 336), layers=False, transforms=(),
                        brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"), height=420)


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST in Flax") as demo:
        mine = gr.State({})  # this visitor's trained models: name -> weights path
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
                trigger(predict, [draw, model, mine], label, api_name="predict" if trigger == draw.change else False,
                        trigger_mode="always_last", show_progress="hidden", concurrency_id="predict").then(
                    explain, [draw, model, mine], [seen, saliency], api_name=False, show_progress="hidden",
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
                                                        "tutorial accuracy", "bundled accuracy"], interactive=False,
                         wrap=True, column_widths=["12%", "40%", "12%", "12%", "12%", "12%"])
            compare_draw.change(compare, [compare_draw, mine], raw, api_name="compare", trigger_mode="always_last",
                                show_progress="hidden", concurrency_id="predict").then(
                compare_cards, raw, [summary, *compare_labels, *compare_texts], api_name=False, show_progress="hidden")
        with gr.Tab("Explore") as explore_tab:
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
            explore_tab.select(explore, explore_model, explore_outputs, api_name=False)  # not at page load
            gallery.select(misclassified_probabilities, [explore_model, shown], picked, api_name=False)
        with gr.Tab("Train"):
            gr.Markdown("Train a model here and watch its curves. Try **Show the failure**: the vanilla MLP of "
                        "the tutorial does not learn. Then change one thing (**Fix it** switches to Adam).")
            with gr.Row():
                with gr.Column(scale=1):
                    train_model_name = gr.Dropdown(list(MODELS), value="cnn", label="Architecture")
                    recipe_name = gr.Radio(RECIPES, value="custom", label="Recipe")
                    optimizer = gr.Dropdown(list(OPTIMIZERS), value="adam", label="Optimiser")
                    learning_rate = gr.Number(1e-3, label=f"Learning rate ({LIMITS.learning_rate[0]:g} to "
                                                          f"{LIMITS.learning_rate[1]:g})")
                    batch_size = gr.Slider(*LIMITS.batch_size, value=32, step=8, label="Batch size")
                    steps = gr.Slider(10, LIMITS.max_steps, value=DEFAULT_STEPS, step=10, label="Steps")
                    train_size = gr.Slider(LIMITS.min_train_size, 60_000, value=50_000, step=500,
                                           label="Training images")
                    with gr.Row():
                        augment = gr.Checkbox(False, label="Augment")
                        raw_pixels = gr.Checkbox(False, label="Raw 0..255 pixels")
                        seed = gr.Number(0, precision=0, label="Seed")
                    with gr.Row():
                        train_button = gr.Button("Train", variant="primary")
                        stop_button = gr.Button("Stop", variant="stop")
                    with gr.Row():
                        failure = gr.Button("Show the failure (vanilla_mlp, tutorial recipe)", size="sm")
                        fix = gr.Button("Fix it: switch to Adam", size="sm")
                with gr.Column(scale=2):
                    progress = gr.HTML()
                    status = gr.Markdown()
                    with gr.Row():
                        series = {"train": "#1f77b4", "validation": "#ff7f0e"}  # both, from the first update
                        loss_plot = gr.LinePlot(x="step", y="value", color="series", color_map=series, title="Loss",
                                                height=260)
                        accuracy_plot = gr.LinePlot(x="step", y="value", color="series", color_map=series,
                                                    title="Accuracy", height=260)
                    result = gr.Markdown()
                    with gr.Row():
                        train_confusion = gr.Plot(label="Confusion matrix on the test set")
                        weights = gr.File(label="Weights (.safetensors)")
            with gr.Accordion("Experiment: accuracy against hidden units (one-hidden-layer MLP)", open=False):
                with gr.Row():
                    sweep_steps = gr.Slider(100, 2000, value=600, step=100, label="Steps per width")
                    sweep_button = gr.Button("Run 8 to 512 units")
                units_plot = gr.LinePlot(x="hidden units", y="accuracy", color="series", x_title="hidden units",
                                         height=260)
            controls = [optimizer, learning_rate, batch_size, steps, train_size, augment, raw_pixels]
            for trigger in (recipe_name.input, train_model_name.input):
                trigger(recipe_controls, [train_model_name, recipe_name], controls, api_name=False)
            for control in controls:
                control.input(lambda: "custom", None, recipe_name, api_name=False)
            failure.click(lambda: ["vanilla_mlp", "tutorial"], None, [train_model_name, recipe_name],
                          api_name=False).then(recipe_controls, [train_model_name, recipe_name], controls,
                                               api_name=False)
            fix.click(lambda: ["adam", "custom"], None, [optimizer, recipe_name], api_name=False)
            train_button.click(
                train_model, [train_model_name, recipe_name, *controls, seed, mine],
                [progress, status, loss_plot, accuracy_plot, result, train_confusion, weights, model, mine],
                api_name="train", concurrency_limit=TRAIN_CONCURRENCY, concurrency_id="train")
            stop_button.click(stop_training, None, None, api_name="stop_training", concurrency_limit=None)
            sweep_button.click(hidden_units, sweep_steps, units_plot, api_name="hidden_units",
                               concurrency_id="train")
            demo.unload(stop_training)
        for event in (draw_tab.select, compare_tab.select, draw.clear, compare_draw.clear):
            event(None, js=SELECT_BRUSH)
    return demo


if __name__ == "__main__":
    build().queue(default_concurrency_limit=4).launch(js=SELECT_BRUSH)
