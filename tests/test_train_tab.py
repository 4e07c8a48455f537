"""The Train tab through gradio_client: streaming, stopping, limits, divergence, isolation."""

import time

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from demo.tabs import train
from mnist_flax.inputs import simulate_drawing

SHORT = train.api_payload("cnn", train.DEFAULT_RECIPE, steps=300, train_size=20_000)
LONG = train.api_payload("cnn", train.DEFAULT_RECIPE, steps=5_000, train_size=50_000)


# The train endpoint's outputs, in order (demo/tabs/train.py): gradio_client returns them as tuples.
OUTPUTS = (
    "progress",
    "status",
    "loss_plot",
    "accuracy_plot",
    "first_layer",
    "result",
    "confusion",
    "weights",
    "draw_model",
)


def named(output) -> dict:
    return dict(zip(OUTPUTS, output))


def streamed(job) -> list[dict]:
    return [named(o) for o in job.outputs()]


def settings(base, **changes) -> dict:
    """The endpoint's keywords (``train.api_payload``) with some changed."""
    assert set(changes) <= set(base)
    return {**base, **changes}


@pytest.fixture(scope="module")
def client(app_url):
    """A visitor of its own: the models it trains stay out of other tests' sessions."""
    return Client(app_url, verbose=False)


def wait_running(job, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any("running" in str(out["status"]) for out in streamed(job)):
            return
        time.sleep(0.2)
    pytest.fail("the run did not start")


def test_a_short_run_streams_metrics_and_ends_with_test_accuracy(client):
    """By keywords, and only some: what an API client leaves out keeps the page's default."""
    given = ("model", "recipe", "optimizer", "learning_rate", "steps", "train_size")
    job = client.submit(**{name: SHORT[name] for name in given}, api_name="/train")
    outputs = [named(o) for o in job]
    assert len([o for o in outputs if "running" in str(o["status"])]) >= 2
    loss_points = outputs[-2]["loss_plot"]["data"]
    assert len(loss_points) >= 5
    final = outputs[-1]
    assert "test accuracy" in final["result"] and "my cnn" in final["result"]
    assert float(final["result"].split("test accuracy ")[1].split("%")[0]) > 90
    assert str(final["weights"]).endswith(".safetensors")


def test_the_learning_rate_changes_during_a_run_and_the_curves_show_where(app_url):
    client = Client(app_url, verbose=False)
    job = client.submit(**settings(LONG, model="mlp", steps=3000), api_name="/train")
    wait_running(job)
    client.predict(0.02, api_name="/change_learning_rate")
    deadline = time.time() + 60  # until the curves show steps at the new rate
    while not any("learning rate 0.02 from step" in str(out["loss_plot"]) for out in streamed(job)):
        assert time.time() < deadline, "the new learning rate never reached the curves"
        time.sleep(0.2)
    client.predict(api_name="/stop_training")
    outputs = [named(o) for o in job]
    series = {row[2] for row in outputs[-2]["loss_plot"]["data"]}
    changed = [s for s in series if s.startswith("learning rate 0.02 from step")]
    assert len(changed) == 1 and int(changed[0].split()[-1].replace(",", "")) > 0, series
    assert "first-layer weights" in outputs[-2]["first_layer"]  # the weights, shown as they learn
    with pytest.raises(AppError, match="No run is going"):
        client.predict(0.02, api_name="/change_learning_rate")


def test_stop_ends_the_run_at_once_and_keeps_the_model(app_url):
    client = Client(app_url, verbose=False)
    job = client.submit(**LONG, api_name="/train")
    wait_running(job)
    start = time.time()
    client.predict(api_name="/stop_training")
    outputs = [named(o) for o in job]
    assert time.time() - start < 3
    assert any("stopped" in str(o["status"]).lower() for o in outputs)
    assert "test accuracy" in outputs[-1]["result"]


@pytest.mark.parametrize(
    "changes, message",
    [  # the component's own check, or the library's (test_jobs.py)
        ({"steps": 100_000}, "maximum value 5000|steps must be between"),
        ({"batch_size": 100_000}, "maximum value 512|batch size must be between"),
        ({"train_size": 10}, "minimum value 500|training images must be between"),
        ({"learning_rate": 1e9}, "learning rate must be between"),
        ({"optimizer": "lbfgs"}, "lbfgs"),
    ],
)
def test_out_of_range_settings_get_a_message(client, changes, message):
    with pytest.raises(AppError, match="(?i)" + message):
        client.predict(**settings(SHORT, **changes), api_name="/train")


def test_a_diverging_run_stops_with_an_explanation(client):
    outputs = [
        named(o)
        for o in client.submit(
            **settings(SHORT, model="mlp", optimizer="sgd", learning_rate=900.0, steps=400), api_name="/train"
        )
    ]
    assert any("diverged" in str(o["status"]) for o in outputs)
    assert "learning rate" in str(outputs[-1]["status"])


def test_visitors_are_isolated_and_predictions_answer_during_a_run(app_url, mnist, image_file):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    job = alice.submit(**LONG, api_name="/train")
    wait_running(job)
    bob.predict(api_name="/stop_training")  # Bob's stop must not touch Alice's run
    time.sleep(1.5)
    assert not job.done()
    sketch = image_file(simulate_drawing(mnist.test.images[0], np.random.default_rng(0), as_layer=True))
    start = time.time()
    answer = bob.predict(sketch, "cnn", api_name="/predict")
    assert time.time() - start < 2 and answer["label"] == str(mnist.test.labels[0])
    alice.predict(api_name="/stop_training")
    list(job)
    alice_model = (
        [o for o in streamed(job) if "my cnn" in str(o["result"])][-1]["result"].split(":")[0].removeprefix("### ")
    )
    assert alice.predict(sketch, alice_model, api_name="/predict")["label"].isdigit()
    with pytest.raises(AppError):
        bob.predict(sketch, alice_model, api_name="/predict")
