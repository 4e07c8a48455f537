"""What makes the answer trustworthy on the page: examples to click, photos on the canvas, "that does
not look like a digit", corrections kept only on a click, and the MCP tools (handlers called directly;
the MCP schema from the running app)."""

import json

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import examples
from demo.canvas import drawing_digit
from demo.state import AppState
from demo.tabs import draw
from mnist_flax import feedback
from mnist_flax.inputs import synthetic_photos


@pytest.fixture(scope="module")
def state(mnist_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNIST_DATA_DIR", str(mnist_dir))
        yield AppState.load()


def test_examples_go_onto_the_canvas_and_their_answers_are_kept(state):
    values = list(draw.EXAMPLE_VALUES.values())
    for i in range(len(examples.EXAMPLES)):
        placed = draw.example(state, gr.SelectData(None, {"index": i, "value": None}))
        assert placed == {"canvas": values[i], "photo": None}
    clean = draw.EXAMPLE_VALUES["7"]
    answer = draw.show(state, clean, "cnn", draw.VIEWS[0], 3)
    assert max(answer["label"], key=answer["label"].get) == "7" and answer["verdict"] == ""
    assert draw.show(state, clean, "cnn", draw.VIEWS[0], 3) is answer  # kept, not recomputed
    hard = [
        draw.show(state, draw.EXAMPLE_VALUES[k], "cnn", draw.VIEWS[1], 3)["compare"]
        for k in examples.EXAMPLES
        if k.endswith("?")
    ]
    assert all("The models disagree" in html for html in hard)


def test_a_drawing_that_is_not_a_digit_is_said_so_beside_the_bars(state):
    for name in ("the letter M", "a house"):
        answer = draw.show(state, draw.EXAMPLE_VALUES[name], "cnn", draw.VIEWS[0], 3)
        assert "does not look like a digit" in answer["verdict"]
        assert abs(sum(answer["label"].values()) - 1) < 1e-4  # the probabilities are still shown


def test_a_photo_goes_onto_the_canvas_and_reads_right(state, mnist, tmp_path):
    right = 0
    for i, photo in enumerate(synthetic_photos(mnist.test.images[:5], seed=1)):
        path = tmp_path / f"photo{i}.jpg"
        Image.fromarray(photo).save(path)
        placed = draw.from_photo(state, str(path))
        assert placed["photo"] == {"value": placed["canvas"], "path": str(path)}
        answer = draw.show(state, placed["canvas"], "cnn", draw.VIEWS[0], 3)
        right += max(answer["label"], key=answer["label"].get) == str(mnist.test.labels[i])
    assert right >= 4
    (tmp_path / "notes.jpg").write_text("not a photo")
    with pytest.raises(gr.Error, match="not an image"):
        draw.from_photo(state, str(tmp_path / "notes.jpg"))
    Image.new("RGB", (640, 480), (200, 200, 190)).save(tmp_path / "blank.jpg")
    with pytest.raises(gr.Error, match="No digit found"):
        draw.from_photo(state, str(tmp_path / "blank.jpg"))


def test_a_correction_is_kept_only_on_the_click(state, mnist, tmp_path, monkeypatch):
    monkeypatch.setenv(feedback.DIR_ENV, str(tmp_path / "kept"))
    photo = next(synthetic_photos(mnist.test.images[:1]))
    Image.fromarray(photo).save(tmp_path / "seven.jpg")
    placed = draw.from_photo(state, str(tmp_path / "seven.jpg"))
    draw.show(state, placed["canvas"], "cnn", draw.VIEWS[0], 3)
    assert not (tmp_path / "kept").exists()  # answering keeps nothing
    with pytest.raises(gr.Error, match="Choose the right digit"):
        draw.correct(state, placed["canvas"], None, placed["photo"])
    with pytest.raises(gr.Error, match="Draw a digit first"):
        draw.correct(state, "", "7", None)
    draw.correct(state, placed["canvas"], "1", placed["photo"])
    (entry,) = (tmp_path / "kept").iterdir()
    assert {p.name for p in entry.iterdir()} == {"original.png", "digit.png", "photo.jpg", "record.json"}
    record = json.loads((entry / "record.json").read_text())
    assert record["label"] == 1 and set(record["answers"]) == set(state.models)
    np.testing.assert_array_equal(np.asarray(Image.open(entry / "digit.png")), drawing_digit(placed["canvas"]))
    assert "Nothing is kept unless you click" in draw.kept_notice(state)


def test_predict_and_compare_are_mcp_tools_with_documented_arguments(app_url):
    import urllib.request

    with urllib.request.urlopen(f"{app_url}gradio_api/mcp/schema", timeout=30) as response:
        tools = {tool["name"]: tool for tool in json.load(response)}
    assert {"predict", "compare"} <= set(tools)
    predict = tools["predict"]
    assert "handwritten digit" in predict["description"]
    properties = predict["inputSchema"]["properties"]
    assert {"image_path", "model_name"} <= set(properties)
    assert "photo of a digit on paper" in properties["image_path"]["description"]
    assert "image_path" in tools["compare"]["inputSchema"]["properties"]
