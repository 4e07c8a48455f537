"""The app's handlers called directly, as plain functions of their inputs (no server)."""

import base64
import dataclasses
import io
import re
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from demo.canvas import canvas_value, drawing_digit
from demo.state import AppState
from demo.tabs import draw, explore, train
from demo.views import DRAW_HINT, answer, compare, inside, what_if
from mnist_flax import MODELS, Recipe
from mnist_flax.inputs import simulate_drawing


@pytest.fixture(scope="module")
def state(mnist_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNIST_DATA_DIR", str(mnist_dir))
        yield AppState.load()


@pytest.fixture(scope="module")
def drawings(mnist):
    """Test digits as images (API users send files), and as the page's canvas sends them."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(5):
        drawing = simulate_drawing(mnist.test.images[i], rng, as_layer=False)
        out.append((drawing, canvas_value(255 - drawing[..., 0]), int(mnist.test.labels[i])))  # dark ink on white
    return out


def test_predict_reads_drawings_and_asks_for_one_when_blank(state, drawings):
    right = 0
    for image, _, label in drawings:
        result = answer.predict(state, image, "cnn")
        confidences = {c["label"]: c["confidence"] for c in result["confidences"]}
        assert set(confidences) == {str(d) for d in range(10)} and abs(sum(confidences.values()) - 1) < 1e-4
        assert result["label"] == max(confidences, key=confidences.get) == result["confidences"][0]["label"]
        assert result["is_digit"] and result["not_a_digit_score"] <= result["not_a_digit_threshold"]
        assert result["read_as"] == "drawing"
        right += result["label"] == str(label)
    assert right >= 4
    assert answer.predict(state, None, "cnn") == {"label": DRAW_HINT, "confidences": None}
    assert answer.predict(state, np.full((50, 50, 3), 255, np.uint8), "cnn")["label"] == DRAW_HINT


def test_predict_says_when_an_image_is_not_a_digit(state, mnist):
    """An agent can tell "a 7" from "not a digit, but closest to 7": two digits side by side, a face."""
    pair = np.full((200, 400), 255, np.uint8)
    pair[30:170, 40:180] = 255 - np.asarray(Image.fromarray(mnist.test.images[0]).resize((140, 140)))
    pair[30:170, 220:360] = 255 - np.asarray(Image.fromarray(mnist.test.images[1]).resize((140, 140)))
    result = answer.predict(state, pair, "cnn")
    assert result["is_digit"] is False and result["not_a_digit_score"] > result["not_a_digit_threshold"]
    assert result["label"] in {str(d) for d in range(10)}  # still the closest digit


def pngs(html):
    """The inline images of a view's HTML, as arrays."""
    return [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(i))))
        for i in re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    ]


def test_one_event_shows_the_answer_the_input_and_the_saliency(state, drawings):
    right = 0
    for _, drawing, label in drawings:
        shown = draw.show(state, drawing, "deep_cnn", "Answer", "3")
        right += max(shown["label"], key=shown["label"].get) == str(label)
    assert right >= 4
    seen, saliency, scale = pngs(shown["views"])
    assert seen.shape == (28, 28) and seen.max() == 255
    assert saliency.shape == (28, 28, 3) and scale.shape == (1, 256, 3)  # the map and its colour scale
    reddest = saliency[..., 0].astype(int) - saliency[..., 2]
    assert reddest.max() > 100 and (seen[reddest > 100] > 0).all()  # red (for the answer) only on the ink
    blank = draw.show(state, "", "cnn", "Answer", "3")
    assert blank["label"] == DRAW_HINT and "<img" not in blank["views"]


def test_while_the_pen_is_down_only_the_probabilities_follow_it(state, drawings):
    """A send made mid-stroke gives the answer's bars, the same as at the stroke's end, and leaves every picture,
    and every other view, as it is until the stroke ends."""
    ink = 255 - drawings[0][0][..., 0]
    partial, end = canvas_value(ink, partial=True), canvas_value(ink)
    during = draw.show(state, partial, "cnn", "Answer", "3")
    assert set(during) == {"label", "verdict"}
    assert during["label"] == pytest.approx(draw.show(state, end, "cnn", "Answer", "3")["label"])
    for view in draw.VIEWS[1:]:
        assert draw.show(state, partial, "cnn", view, "3") == {}
        assert draw.show(state, end, "cnn", view, "3")


@pytest.mark.parametrize("name", list(MODELS))
def test_the_inside_view_shows_every_layer(state, drawings, name):
    shown = draw.show(state, drawings[0][1], name, "Inside", "3")
    layers = state.models[name].layers(np.zeros((28, 28), np.uint8))
    for layer in layers:
        assert f"<h4>{layer.name} · {' x '.join(map(str, layer.shape))}</h4>" in shown["inside"]
    images = pngs(shown["inside"])
    feature_maps = [layer for layer in layers if layer.values.ndim == 3]
    mlp_templates = 8 if "mlp" in name else 0
    # one picture per layer but the softmax (bars), a colour scale under each, and an MLP's unit templates
    assert len(images) == 2 * (len(layers) - 1) + mlp_templates + (1 if mlp_templates else 0)
    conv = images[2 * [layer.name for layer in layers].index(feature_maps[-1].name)]
    assert conv.shape[2] == 3 and conv.std() > 0  # a coloured grid, not an empty image
    assert "<p>Draw a digit" in draw.show(state, "", name, "Inside", "3")["inside"]


def test_the_activations_endpoint_gives_every_layer(state, drawings):
    result = inside.activations(state, drawings[0][0], "cnn")
    assert [(layer["name"], tuple(layer["shape"])) for layer in result["layers"]] == [
        (layer.name, layer.shape) for layer in state.models["cnn"].layers(np.zeros((28, 28), np.uint8))
    ]
    assert np.asarray(result["layers"][1]["values"]).shape == (26, 26, 32)
    assert abs(sum(result["layers"][-1]["values"]) - 1) < 1e-3
    assert inside.activations(state, None, "cnn") == {"message": DRAW_HINT}


def test_what_would_make_it_another_digit(state, drawings):
    _, drawing, label = drawings[0]
    target = (label + 5) % 10
    shown = draw.show(state, drawing, "cnn", draw.VIEWS[3], str(target))
    assert shown["whatif"].count('<figure class="nudge">') == len(state.names)
    assert len(pngs(shown["whatif"])) == 2 * len(state.names) + 1  # changed drawing and change per model, scale
    plot = shown["whatif_plot"]
    assert set(plot["model"]) == set(state.names) and (plot.groupby("model")["step"].min() == 0).all()
    by_model = plot.sort_values("step").groupby("model")["probability of the target"]
    assert (by_model.last() > by_model.first()).all()  # every model was moved toward the target
    result = what_if.counterfactual(state, drawings[0][0], "cnn", target)
    assert result["reached"] and np.argmax(result["probabilities"][-1]) == target
    assert len(result["images"]) == result["steps"] + 1 and np.asarray(result["images"]).shape[1:] == (28, 28)
    same = draw.show(state, drawing, "cnn", draw.VIEWS[3], str(label))
    assert f"already reads {label}" in same["whatif"]
    import gradio as gr

    with pytest.raises(gr.Error, match="0 to 9"):
        what_if.counterfactual(state, drawings[0][0], "cnn", 12)


@pytest.mark.parametrize(
    "value",
    [
        '{"width": 4}',
        '{"width": 4, "height": 4, "ink": "!!"}',
        "not json",
        '{"width": 9000, "height": 9000, "ink": ""}',
    ],
)
def test_a_malformed_canvas_value_gets_a_message(state, value):
    import gradio as gr

    with pytest.raises(gr.Error, match="could not be read"):
        draw.show(state, value, "cnn", "Answer", "3")


def test_compare_and_its_cards(state, drawings):
    image, drawing, label = drawings[0]
    results = compare.compare(state, image)
    assert list(results) == state.names
    shown = draw.show(state, drawing, "cnn", "Compare", "3")["compare"]
    assert f"<h3>All {len(MODELS)} models say <b>{label}</b></h3>" in shown or "disagree" in shown
    cards = shown.split('<figure class="card">')[1:]
    assert len(cards) == len(state.names)
    seen = compare.results(state, drawing_digit(drawing))
    for name, card in zip(state.names, cards):
        r = seen[name]
        assert f"<b>{name}</b> says <b>{r['top']}</b>" in card and "parameters · test accuracy" in card
        assert f"{max(r['probabilities'].values()):.1%}" in card  # its top class's bar
        saliency, scale = pngs(card)
        assert saliency.shape == (28, 28, 3) and scale.shape == (1, 256, 3)
    assert draw.show(state, "", "cnn", "Compare", "3")["compare"] == f"<h3>{DRAW_HINT}</h3>"


def test_explore_shows_a_models_mistakes(state, mnist):
    shown = explore.explore(state, "cnn", max_images=10)
    wrong = len(state.evaluation("cnn").misclassified)
    assert f"{wrong} wrong (showing 10)" in shown["summary"] and len(shown["gallery"]) == 10
    first = shown["shown"][0]
    assert (
        shown["gallery"][0][1] == f"R: {mnist.test.labels[first]} P: "
        f"{state.evaluation('cnn').probabilities[first].argmax()}"
    )


def test_custom_keeps_the_recipe_last_chosen(state):
    """Choosing "best" then changing one control keeps best's schedule, smoothing, decay and split."""
    filled = train.recipe_controls(state, "cnn", "best")
    best = MODELS["cnn"].best
    assert (filled["schedule"], filled["label_smoothing"], filled["weight_decay"], filled["train_size"]) == (
        best.schedule,
        best.label_smoothing,
        best.weight_decay,
        60_000,
    )
    assert train.recipe_controls(state, "cnn", "custom") == {}
    controls = {name: filled[name] for name in train.RECIPE_FIELDS}
    recipe = train.chosen_recipe("cnn", "custom", filled["base"], **{**controls, "learning_rate": 3e-4})
    assert recipe == best.replace(learning_rate=3e-4)
    assert train.chosen_recipe("cnn", "custom", None, **controls).split == "all"  # the split is a control too
    assert train.chosen_recipe("cnn", "custom", None, **{**controls, "split": None}).split == "tutorial"  # the default
    as_sent = {**controls, "batch_size": float(best.batch_size), "label_smoothing": None}  # number boxes send floats
    assert train.chosen_recipe("cnn", "best", None, **as_sent) == best


def test_every_recipe_field_has_a_control_or_comes_from_the_named_recipe():
    """A field added to Recipe must be settable in the Train tab (or be declared as the named recipe's)."""
    fields = {f.name for f in dataclasses.fields(Recipe)}
    assert set(train.RECIPE_FIELDS) | set(train.FROM_THE_NAMED_RECIPE) == fields
    assert {name for row in train.LAYOUT for name in row} == set(train.RECIPE_FIELDS) | set(train.RUN_FIELDS)
    payload = train.api_payload("cnn", MODELS["cnn"].best, steps=100, train_size=1000)
    assert {k for k in payload} == {"model", "recipe", *train.RECIPE_FIELDS, *train.RUN_FIELDS}


def test_curves_have_both_series_from_step_0():
    history = [
        {"step": 0, "loss": 2.3, "accuracy": 0.1, "val_loss": 2.3, "val_accuracy": 0.1},
        {"step": 10, "loss": 1.0, "accuracy": 0.7, "val_loss": None, "val_accuracy": None},
    ]
    lines = train.curves(history)
    assert list(lines["loss"]["series"]) == ["train", "validation", "train"]
    assert list(lines["accuracy"]["value"]) == [0.1, 0.1, 0.7]


def test_curves_mark_a_learning_rate_change_and_overlay_earlier_runs():
    history = [
        {
            "step": s,
            "loss": 2.0 - s / 100,
            "accuracy": s / 100,
            "val_loss": None,
            "val_accuracy": None,
            "learning_rate": 0.1 if s > 10 else 0.01,
        }
        for s in (0, 10, 20)
    ]
    earlier = [
        {
            "label": "run 1: cnn adam",
            "history": [{"step": 10, "loss": 1.0, "accuracy": 0.5, "val_loss": 0.9, "val_accuracy": 0.6}],
        }
    ]
    lines = train.curves(history, earlier)
    accuracy = lines["accuracy"]
    marker = accuracy[accuracy.series == "learning rate 0.1 from step 10"]
    assert list(marker.step) == [10, 10] and list(marker.value) == [0.0, 0.6]  # a vertical line over the plot
    assert list(accuracy[accuracy.series == "run 1: cnn adam"].value) == [0.6]  # its validation curve


def test_changing_the_learning_rate_needs_a_run(state):
    import gradio as gr

    with pytest.raises(gr.Error, match="No run is going"):
        train.change_learning_rate(state, 0.01, SimpleNamespace(session_hash="nobody"))
