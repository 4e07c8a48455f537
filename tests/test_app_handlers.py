"""The app's handlers called directly, as plain functions of their inputs (no server)."""
import base64
import io
import re

import numpy as np
import pytest

import compare_tab
import draw_tab
import explore_tab
import train_tab
from mnist_flax import MODELS
from PIL import Image

from mnist_flax.sketch import simulate_drawing
from shared import DRAW_HINT, AppState, canvas_value


@pytest.fixture(scope="module")
def state(mnist_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNIST_DATA_DIR", str(mnist_dir))
        yield AppState.load()


@pytest.fixture(scope="module")
def drawings(mnist):
    """Test digits as the Sketchpad sends them (API users), and as the page's canvas sends them."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(5):
        sketch = simulate_drawing(mnist.test.images[i], rng)
        ink = 255 - np.asarray(Image.fromarray(sketch["composite"]).convert("L"))
        out.append((sketch, canvas_value(ink), int(mnist.test.labels[i])))
    return out


def test_predict_reads_drawings_and_asks_for_one_when_blank(state, drawings):
    right = 0
    for sketch, _, label in drawings:
        probabilities = draw_tab.predict(state, sketch, "cnn")
        assert set(probabilities) == {str(d) for d in range(10)}
        right += max(probabilities, key=probabilities.get) == str(label)
    assert right >= 4
    assert draw_tab.predict(state, None, "cnn") == DRAW_HINT
    assert draw_tab.predict(state, {"background": None, "layers": [], "composite": np.full((50, 50, 3), 255,
                                                                                            np.uint8)}, "cnn") == DRAW_HINT


def test_one_event_shows_the_answer_the_input_and_the_saliency(state, drawings):
    right = 0
    for _, drawing, label in drawings:
        shown = draw_tab.show(state, drawing, "deep_cnn")
        right += max(shown["label"], key=shown["label"].get) == str(label)
    assert right >= 4
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', shown["views"])
    seen, saliency = (np.asarray(Image.open(io.BytesIO(base64.b64decode(i)))) for i in images)
    assert seen.shape == (28, 28) and seen.max() == 255
    assert saliency.shape == (28, 28, 3) and saliency[..., 0].max() > 200  # red: the pixels that mattered
    blank = draw_tab.show(state, "", "cnn")
    assert blank["label"] == DRAW_HINT and "<img" not in blank["views"]


@pytest.mark.parametrize("value", ['{"width": 4}', '{"width": 4, "height": 4, "ink": "!!"}', "not json",
                                   '{"width": 9000, "height": 9000, "ink": ""}'])
def test_a_malformed_canvas_value_gets_a_message(state, value):
    import gradio as gr

    with pytest.raises(gr.Error, match="could not be read"):
        draw_tab.show(state, value, "cnn")


def test_compare_and_its_cards(state, drawings):
    sketch, drawing, label = drawings[0]
    results = compare_tab.compare(state, sketch)
    assert list(results) == state.names
    shown = compare_tab.show(state, drawing)
    assert shown["summary"].startswith(f"### All {len(MODELS)} models say **{label}**") or "disagree" in shown["summary"]
    for name in state.names:
        assert shown[f"bars {name}"] == shown["raw"][name]["probabilities"]
        assert "parameters · test accuracy" in shown[f"caption {name}"]
    blank = compare_tab.show(state, "")
    assert blank["summary"] == f"### {DRAW_HINT}" and all(blank[f"bars {n}"] is None for n in state.names)


def test_explore_shows_a_models_mistakes(state, mnist):
    shown = explore_tab.explore(state, "cnn", max_images=10)
    wrong = len(state.evaluation("cnn").misclassified)
    assert f"{wrong} wrong (showing 10)" in shown["summary"] and len(shown["gallery"]) == 10
    first = shown["shown"][0]
    assert shown["gallery"][0][1] == f"R: {mnist.test.labels[first]} P: " \
                                     f"{state.evaluation('cnn').probabilities[first].argmax()}"


def test_custom_keeps_the_recipe_last_chosen(state):
    """Choosing "best" then changing one control keeps best's schedule, smoothing, decay and split."""
    filled = train_tab.recipe_controls(state, "cnn", "best")
    best = MODELS["cnn"].best
    assert (filled["schedule"], filled["label_smoothing"], filled["weight_decay"], filled["train_size"]) == (
        best.schedule, best.label_smoothing, best.weight_decay, 60_000)
    assert train_tab.recipe_controls(state, "cnn", "custom") == {}
    controls = {k: filled[k] for k in ("optimizer", "learning_rate", "batch_size", "augment", "raw_pixels",
                                       "schedule", "label_smoothing", "weight_decay")}
    recipe = train_tab.chosen_recipe("cnn", "custom", filled["base"], **{**controls, "learning_rate": 3e-4})
    assert recipe == best.replace(learning_rate=3e-4)
    assert train_tab.chosen_recipe("cnn", "custom", None, **controls).split == "tutorial"  # the tab's default


def test_curves_have_both_series_from_step_0():
    history = [{"step": 0, "loss": 2.3, "accuracy": 0.1, "val_loss": 2.3, "val_accuracy": 0.1},
               {"step": 10, "loss": 1.0, "accuracy": 0.7, "val_loss": None, "val_accuracy": None}]
    lines = train_tab.curves(history)
    assert list(lines["loss"]["series"]) == ["train", "validation", "train"]
    assert list(lines["accuracy"]["value"]) == [0.1, 0.1, 0.7]
