"""The running app through its named endpoints, as gradio_client users call it."""

import numpy as np
import pytest
from gradio_client.exceptions import AppError

from mnist_flax import MODELS
from mnist_flax.inputs import simulate_drawing


def drawing(mnist, i, seed=0):
    """A test digit drawn as black strokes on a transparent layer (a PNG of a drawing)."""
    return simulate_drawing(mnist.test.images[i], np.random.default_rng(seed + i), as_layer=True)


def top(result):
    return result["label"]


def test_predictions_on_drawn_test_digits(client, mnist, image_file):
    right = 0
    for i in range(20):
        result = client.predict(image_file(drawing(mnist, i), f"d{i}"), "cnn", api_name="/predict")
        assert len(result["confidences"]) == 10 and result["is_digit"] and result["read_as"] == "drawing"
        right += top(result) == str(mnist.test.labels[i])
    assert right >= 18


def test_every_battery_family_through_the_api(client, mnist, tmp_path):
    """One input of each family built apart from the reader, as an API or MCP client sends the file."""
    from gradio_client import handle_file

    from mnist_flax.inputs import battery

    for name in battery.FAMILIES:
        (sample,) = battery.family(name, mnist.test.images, mnist.test.labels, "held_out", 1)
        path = tmp_path / f"{name}.png"
        path.write_bytes(sample.data)
        result = client.predict(handle_file(str(path)), "cnn", api_name="/predict")
        if sample.label is None:
            assert result["is_digit"] is False, name
        else:
            assert result["label"] == str(sample.label) and result["is_digit"], name


def test_compare_runs_every_model(client, mnist, image_file):
    result = client.predict(image_file(drawing(mnist, 0), "c0"), api_name="/compare")
    assert set(result) == set(MODELS)
    for r in result.values():
        assert set(r) == {"top", "probabilities", "parameters", "test_accuracy", "ms"}
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-4 and r["ms"] > 0
    assert result["deep_cnn"]["top"] == mnist.test.labels[0] and result["cnn"]["top"] == mnist.test.labels[0]


@pytest.mark.parametrize(
    "name, image, message",
    [
        ("blank", np.zeros((336, 336, 4), np.uint8), "Draw a digit"),
        ("white", np.full((336, 336, 3), 255, np.uint8), "Draw a digit"),
        ("black", np.zeros((336, 336, 3), np.uint8), "Draw a digit"),
        ("tiny", np.zeros((1, 1, 3), np.uint8), "too small"),
    ],
)
def test_bad_canvases_get_a_message_and_the_app_stays_up(client, mnist, image_file, name, image, message):
    try:
        result = client.predict(image_file(image, name), "cnn", api_name="/predict")
        assert message in result["label"]
    except AppError as e:
        assert message in str(e)
    ok = client.predict(image_file(drawing(mnist, 1), "after"), "cnn", api_name="/predict")
    assert top(ok) == str(mnist.test.labels[1])


def test_files_that_are_not_images_or_too_large_get_a_clear_message(client, mnist, image_file, tmp_path):
    from gradio_client import handle_file
    from PIL import Image

    (tmp_path / "notes.png").write_text("this is a text file named .png")
    Image.new("L", (7000, 7000), 255).save(tmp_path / "page.png")  # 7000x7000: a few KB of PNG
    for path, message in (
        (tmp_path / "notes.png", "not an image"),
        (tmp_path / "page.png", "7000x7000 image is too large"),
    ):
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(str(path)), "cnn", api_name="/predict")
    ok = client.predict(image_file(drawing(mnist, 4), "after_bad_files"), "cnn", api_name="/predict")
    assert top(ok) == str(mnist.test.labels[4])  # the app stays up


@pytest.mark.parametrize("name", ["gray", "rgba", "huge"])
def test_other_image_formats_and_sizes_are_read(client, mnist, image_file, name):
    from PIL import Image

    ink = drawing(mnist, 2)[..., 3]
    image = {
        "gray": 255 - ink,
        "rgba": np.dstack([np.zeros((*ink.shape, 3), np.uint8), ink]),
        "huge": 255 - np.asarray(Image.fromarray(ink).resize((4000, 4000))),
    }[name]
    result = client.predict(image_file(image, name), "cnn", api_name="/predict")
    assert top(result) == str(mnist.test.labels[2])


def test_missing_value_and_unknown_model(client, mnist, image_file):
    assert client.predict(None, "cnn", api_name="/predict")["label"] == "Draw a digit"
    with pytest.raises(AppError, match="resnet"):
        client.predict(image_file(drawing(mnist, 3), "u"), "resnet", api_name="/predict")
    assert top(client.predict(image_file(drawing(mnist, 3), "u2"), "cnn", api_name="/predict")) == str(
        mnist.test.labels[3]
    )
