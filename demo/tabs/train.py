"""Train: a visitor's own run with live curves, the vanilla MLP's failure and its fix, a width sweep."""

import contextlib
import dataclasses
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd

import mnist_flax
from demo import pictures, zero_gpu
from demo.adapter import event_handler
from demo.state import AppState
from mnist_flax import MODELS, Recipe, job_process, plots
from mnist_flax.job_process import RemoteJob
from mnist_flax.jobs import JobProgress, Limits, TrainSettings
from mnist_flax.recipe import OPTIMIZERS, RECIPE_NAMES, SCHEDULES, SPLITS

VISITOR_WEIGHTS = Path(tempfile.gettempdir()) / "mnist_flax_visitors"
KEEP_SECONDS = 24 * 3600  # a visitor's weights are deleted after a day, so a Space's disk stays bounded
DEFAULT_STEPS = 1500
CUSTOM = "custom"
DEFAULT_RECIPE = Recipe(optimizer="adam", learning_rate=1e-3, batch_size=32)  # what the controls start with
# A visitor sets every recipe field but these.
FROM_THE_NAMED_RECIPE = ("epochs",)  # a run is steps long
RECIPE_FIELDS = tuple(f.name for f in dataclasses.fields(Recipe) if f.name not in FROM_THE_NAMED_RECIPE)
FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Recipe)}  # a number box sends floats
RUN_FIELDS = ("steps", "train_size", "seed")  # a run's own settings (TrainSettings)
LAYOUT = (
    ("optimizer",),
    ("learning_rate",),
    ("batch_size",),
    ("steps",),
    ("train_size",),
    ("split",),
    ("schedule", "label_smoothing", "weight_decay"),
    ("augment", "raw_pixels", "seed"),
)  # rows of controls


def controls(limits: Limits) -> dict[str, gr.Component]:
    """One control per field a visitor sets (``RECIPE_FIELDS`` and ``RUN_FIELDS``), laid out in ``LAYOUT``."""
    r = DEFAULT_RECIPE
    make = {
        "optimizer": lambda: gr.Dropdown(list(OPTIMIZERS), value=r.optimizer, label="Optimiser"),
        "learning_rate": lambda: gr.Number(
            r.learning_rate, label=f"Learning rate ({limits.learning_rate[0]:g} to {limits.learning_rate[1]:g})"
        ),
        "batch_size": lambda: gr.Slider(*limits.batch_size, value=r.batch_size, step=8, label="Batch size"),
        "steps": lambda: gr.Slider(10, limits.max_steps, value=DEFAULT_STEPS, step=10, label="Steps"),
        "train_size": lambda: gr.Slider(limits.min_train_size, 60_000, value=50_000, step=500, label="Training images"),
        "schedule": lambda: gr.Radio(list(SCHEDULES), value=r.schedule, label="Schedule"),
        "split": lambda: gr.Radio(list(SPLITS), value=r.split, label="Data: tutorial 50k/10k, all 60k, third 14k/6k"),
        "label_smoothing": lambda: gr.Number(r.label_smoothing, minimum=0, maximum=0.5, label="Label smoothing"),
        "weight_decay": lambda: gr.Number(r.weight_decay, minimum=0, label="Weight decay (adamw)"),
        "augment": lambda: gr.Checkbox(r.augment, label="Augment"),
        "raw_pixels": lambda: gr.Checkbox(r.raw_pixels, label="Raw 0..255 pixels"),
        "seed": lambda: gr.Number(0, precision=0, label="Seed"),
    }
    made = {}
    for row in LAYOUT:
        with gr.Row() if len(row) > 1 else contextlib.nullcontext():
            made.update((name, make[name]()) for name in row)
    return made


def api_payload(model: str, recipe: Recipe, steps: int, train_size: int, seed: int = 0) -> dict:
    """The train endpoint's keywords for a run of ``recipe``: ``client.submit(**payload, api_name="/train")``."""
    return {
        "model": model,
        "recipe": CUSTOM,
        **{name: getattr(recipe, name) for name in RECIPE_FIELDS},
        "steps": steps,
        "train_size": train_size,
        "seed": seed,
    }


def recipe_controls(state: AppState, model, recipe) -> dict:
    """The controls filled from the chosen model's named recipe, which becomes the base that "custom"
    changes; choosing "custom" changes nothing."""
    if recipe == CUSTOM:
        return {}
    named = mnist_flax.get_model_entry(model).recipe(recipe)
    available = len(mnist_flax.recipe_splits(named, state.mnist())[0])
    return {
        **{name: getattr(named, name) for name in RECIPE_FIELDS},
        "train_size": available,
        "steps": min(named.epochs * (available // named.batch_size), DEFAULT_STEPS),
        "base": named.as_dict(),
    }


def chosen_recipe(model: str, recipe: str, base: dict | None, **fields) -> Recipe:
    """The named recipe (or, for "custom", the last one chosen) with the controls' values, each read as
    its field's type (a number box sends floats); a control left empty keeps the recipe's value."""
    start = (
        mnist_flax.get_model_entry(model).recipe(recipe)
        if recipe != CUSTOM
        else Recipe(**base)
        if base
        else DEFAULT_RECIPE
    )
    return start.replace(
        **{name: None if fields.get(name) is None else FIELD_TYPES[name](fields[name]) for name in RECIPE_FIELDS}
    )


def curves(history: list[dict], earlier: list[dict] = ()) -> dict[str, pd.DataFrame]:
    """Long-format tables (step, value, series) for the loss and accuracy plots: this run's train and
    validation curves, a vertical line where its learning rate was changed, and each of ``earlier``
    runs ({"label", "history"}) as one series (validation where it had one), named by its settings."""
    rows = {"loss": [], "accuracy": []}
    for h in history:
        for metric in rows:
            rows[metric].append((h["step"], h[metric], "train"))
            if h.get(f"val_{metric}") is not None:
                rows[metric].append((h["step"], h[f"val_{metric}"], "validation"))
    for run in earlier:
        for metric in rows:
            key = f"val_{metric}" if any(h.get(f"val_{metric}") is not None for h in run["history"]) else metric
            rows[metric] += [(h["step"], h[key], run["label"]) for h in run["history"] if h.get(key) is not None]
    for before, after in zip(history, history[1:]):
        if after.get("learning_rate") != before.get("learning_rate"):
            for r in rows.values():
                values = [v for _, v, _ in r]
                name = f"learning rate {after['learning_rate']:g} from step {before['step']:,}"
                r += [(before["step"], min(values), name), (before["step"], max(values), name)]
    return {metric: pd.DataFrame(r, columns=["step", "value", "series"]) for metric, r in rows.items()}


def run_label(number: int, settings: TrainSettings) -> str:
    r = settings.recipe
    return (
        f"run {number}: {settings.model} {r.optimizer} lr {r.learning_rate:g} batch {r.batch_size} "
        f"{r.schedule}{' augment' if r.augment else ''}{' raw' if r.raw_pixels else ''}"
    )


def progress_html(job: JobProgress) -> str:
    last = job.history[-1] if job.history else None
    if last is None or last["step"] == 0:
        return "Starting: loading MNIST and compiling the model..."
    done = last["step"] / last["total_steps"]
    return (
        f'<progress value="{done:.3f}" max="1" style="width:100%"></progress><br>'
        f"step {last['step']:,} / {last['total_steps']:,} · {job.elapsed:.0f} s · "
        f"{job.seconds_left:.0f} s left · {last['images_per_sec']:,.0f} images/s"
    )


def train_model(state: AppState, model, recipe, base, mine, runs, overlay, request: gr.Request, **fields):
    """Trains one model for this visitor, streaming the curves and the first layer's weights; ends with
    its test results and weights, and keeps its curves to overlay on later runs."""
    try:
        settings = TrainSettings(
            model,
            chosen_recipe(model, recipe, base, **fields),
            int(fields["steps"]),
            int(fields["train_size"]),
            int(fields["seed"]),
        )
        job = new_job(state, settings)
    except (TypeError, ValueError) as e:
        raise gr.Error(str(e)) from None
    state.jobs[request.session_hash] = job
    shown = 0.0
    try:
        for _ in job.train():
            if job.done or time.perf_counter() - shown > 0.5:
                shown = time.perf_counter()
                lines = curves(job.history, runs if overlay else ())
                yield {
                    "progress": progress_html(job),
                    "status": status(job),
                    "loss_plot": lines["loss"],
                    "accuracy_plot": lines["accuracy"],
                    "first_layer": pictures.weights(job.first_layer) if job.first_layer is not None else "",
                }
    finally:
        state.jobs.pop(request.session_hash, None)
    runs = [*(runs or []), {"label": run_label(len(runs or []) + 1, job.settings), "history": list(job.history)}]
    if job.evaluation is None:  # diverged: its curves are kept, there is nothing to test
        yield {"status": status(job), "runs": runs}
        return
    mine = dict(mine or {})
    name = f"my {model} {len(mine) + 1}"
    path = job.save_weights(weights_path(name))
    mine[name] = str(path)
    yield {
        "result": f"### {name}: test accuracy {job.evaluation.accuracy:.2%}\nIt is now in the Draw tab: its "
        f"model selector and every view (for you only).",
        "confusion": plots.confusion_matrix(job.evaluation.confusion, name),
        "weights": str(path),
        "draw_model": gr.Dropdown(choices=state.names + list(mine)),
        "mine": mine,
        "runs": runs,
    }


def new_job(state: AppState, settings: TrainSettings) -> JobProgress:
    """A run in a process of its own that yields the CPU to the app's predictions (``job_process``); on
    ZeroGPU, on the GPU slice (``zero_gpu``)."""
    available = len(mnist_flax.recipe_splits(settings.recipe, state.mnist())[0])
    return RemoteJob(settings, available, state.limits, source())


def source():
    """Where runs go: the GPU slice on ZeroGPU, else a worker process on this machine's CPU."""
    return zero_gpu.run if zero_gpu.ON_ZERO_GPU else job_process.stream


def status(job: JobProgress) -> str:
    """The run's state, and where it runs when that is not this process (the GPU, or the CPU and why)."""
    where = f" · on the {job.device.upper()}" if job.device else ""
    note = f"\n\n{job.note}" if getattr(job, "note", None) else ""
    return f"**{job.status}**{where} {job.message}{note}"


def change_learning_rate(state: AppState, learning_rate, request: gr.Request):
    """Sets this visitor's running job's learning rate from its next chunk of steps on."""
    job = state.jobs.get(request.session_hash)
    if not isinstance(job, JobProgress) or job.done:
        raise gr.Error("No run is going: start one with Train, then change its learning rate.")
    try:
        job.set_learning_rate(float(learning_rate))
    except (TypeError, ValueError) as e:
        raise gr.Error(str(e)) from None
    gr.Info(f"Learning rate {float(learning_rate):g} from the next steps on: the curves mark where.")


def weights_path(name: str) -> Path:
    """A new file for a visitor's weights; older ones than ``KEEP_SECONDS`` are deleted on the way."""
    VISITOR_WEIGHTS.mkdir(exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in VISITOR_WEIGHTS.glob("*/*.safetensors"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
            old.parent.rmdir()
    return Path(tempfile.mkdtemp(dir=VISITOR_WEIGHTS)) / f"{name.replace(' ', '_')}.safetensors"


def stop_training(state: AppState, request: gr.Request):
    """Stops this visitor's run (never another's); it keeps what it learned."""
    job = state.jobs.get(request.session_hash)
    if job is not None:
        job.stop()


def hidden_units(state: AppState, steps, request: gr.Request):
    """Test accuracy of a one-hidden-layer MLP against its width, point by point, where runs go (``source``)."""
    control = Path(tempfile.mkdtemp(prefix="mnist_flax_sweep_")) / "control"
    control.touch()
    state.jobs[request.session_hash] = SimpleNamespace(stop=lambda: control.write_text("stop\n"))
    sweep = job_process.remote_sweep(int(steps), control, source())
    points = []
    try:
        for width, accuracy in sweep:
            points.append((width, accuracy, "test accuracy"))
            yield pd.DataFrame(points, columns=["hidden units", "accuracy", "series"])
    finally:
        state.jobs.pop(request.session_hash, None)


def build(state: AppState, mine: gr.State, draw_model: gr.Dropdown, demo: gr.Blocks) -> SimpleNamespace:
    limits = state.limits
    with gr.Tab("Train") as tab:
        gr.Markdown(
            "Train a model here and watch its curves. Try **Show the failure**: the vanilla MLP of "
            "the tutorial does not learn. Then change one thing (**Fix it** switches to Adam)."
        )
        with gr.Row():
            with gr.Column(scale=1):
                model_name = gr.Dropdown(list(MODELS), value="cnn", label="Architecture")
                recipe_name = gr.Radio([*RECIPE_NAMES, CUSTOM], value=CUSTOM, label="Recipe")
                fields = controls(limits)
                with gr.Row():
                    train_button = gr.Button("Train", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
                with gr.Row():
                    new_rate = gr.Number(1e-2, label="Change the learning rate during the run to")
                    rate_button = gr.Button("Change it now", size="sm")
                with gr.Row():
                    failure = gr.Button("Show the failure (vanilla_mlp, tutorial recipe)", size="sm")
                    fix = gr.Button("Fix it: switch to Adam", size="sm")
            with gr.Column(scale=2):
                out = {"progress": gr.HTML(), "status": gr.Markdown()}
                with gr.Row():
                    series = {"train": "#1f77b4", "validation": "#ff7f0e"}  # both, from the first update
                    out["loss_plot"] = gr.LinePlot(
                        x="step", y="value", color="series", color_map=series, title="Loss", height=260
                    )
                    out["accuracy_plot"] = gr.LinePlot(
                        x="step", y="value", color="series", color_map=series, title="Accuracy", height=260
                    )
                overlay = gr.Checkbox(
                    True, label="Show my earlier runs on the curves (validation, or train without it)"
                )
                out["first_layer"] = gr.HTML(label="First layer's weights")
                gr.Markdown(
                    "Above: the first layer's weights as they learn (conv nets: the 32 3x3 kernels; MLPs: "
                    "each first-layer unit as a 28x28 image). Red: ink there excites the unit; blue: "
                    "inhibits it."
                )
                out["result"] = gr.Markdown()
                with gr.Row():
                    out["confusion"] = gr.Plot(label="Confusion matrix on the test set")
                    out["weights"] = gr.File(label="Weights (.safetensors)")
        with gr.Accordion("Experiment: accuracy against hidden units (one-hidden-layer MLP)", open=False):
            with gr.Row():
                sweep_steps = gr.Slider(100, 2000, value=600, step=100, label="Steps per width")
                sweep_button = gr.Button("Run 8 to 512 units")
            units_plot = gr.LinePlot(x="hidden units", y="accuracy", color="series", x_title="hidden units", height=260)
        base = gr.State(DEFAULT_RECIPE.as_dict())  # the recipe "custom" starts from: the last one chosen
        runs = gr.State([])  # this visitor's finished runs: {"label", "history"}, overlaid on the curves
    out.update(draw_model=draw_model, mine=mine, runs=runs)
    filled = {**{name: fields[name] for name in (*RECIPE_FIELDS, "steps", "train_size")}, "base": base}
    fill = event_handler(recipe_controls, state, filled)
    for trigger in (recipe_name.input, model_name.input):
        trigger(fill, [model_name, recipe_name], list(filled.values()), api_name=False)
    for control in filled.values():
        if control is not base:
            control.input(lambda: CUSTOM, None, recipe_name, api_name=False)
    failure.click(lambda: ["vanilla_mlp", "tutorial"], None, [model_name, recipe_name], api_name=False).then(
        fill, [model_name, recipe_name], list(filled.values()), api_name=False
    )
    fix.click(lambda: ["adam", CUSTOM], None, [fields["optimizer"], recipe_name], api_name=False)
    inputs = {
        "model": model_name,
        "recipe": recipe_name,
        **fields,
        "base": base,
        "mine": mine,
        "runs": runs,
        "overlay": overlay,
    }
    train_button.click(
        event_handler(train_model, state, out, inputs),
        list(inputs.values()),
        list(out.values()),
        api_name="train",
        concurrency_limit=state.train_concurrency,
        concurrency_id="train",
    )
    stop_button.click(event_handler(stop_training, state), None, None, api_name="stop_training", concurrency_limit=None)
    rate_button.click(
        event_handler(change_learning_rate, state),
        new_rate,
        None,
        api_name="change_learning_rate",
        concurrency_limit=None,
    )
    sweep_button.click(
        event_handler(hidden_units, state), sweep_steps, units_plot, api_name="hidden_units", concurrency_id="train"
    )
    demo.unload(event_handler(stop_training, state))
    return SimpleNamespace(tab=tab)
