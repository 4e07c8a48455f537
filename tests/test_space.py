"""The repository as a Hugging Face Space: its configuration, its upload set, and the app started from that set
alone."""

import json
import os
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from conftest import ROOT, start_app, stop_app
from gradio_client import Client

from demo import space as deploy
from demo import zero_gpu
from demo.tabs import train
from mnist_flax.inputs import simulate_drawing


def test_the_space_configuration_is_valid():
    assert deploy.config_problems() == []
    config = deploy.front_matter(ROOT / "README.md")
    assert config["sdk_version"] == deploy.pinned("gradio", ROOT / "requirements.txt")
    assert len(config["short_description"]) <= 60 and config["tags"] and config["license"] == "mit"


def test_configuration_mistakes_are_named(tmp_path):
    for name in ("LICENSE", "requirements.txt", "pyproject.toml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "app.py").write_text("")
    readme = (ROOT / "README.md").read_text()
    bad = (
        readme.replace("sdk_version: 6.31.0", "sdk_version: 5.0.0")
        .replace('python_version: "3.12.12"', 'python_version: "3.11"')
        .replace("short_description: ", "short_description: " + "far too long " * 5)
        .replace("  - jax\n", "  - JAX\n")
    )
    (tmp_path / "README.md").write_text(bad)
    problems = " | ".join(deploy.config_problems(tmp_path))
    for expected in (
        "sdk_version '5.0.0' must equal the pinned gradio==6.31.0",
        "python_version '3.11' must be a Python that ZeroGPU runs",
        "short_description must be text of 1 to 60",
        "tags must be a list of lower-case words",
    ):
        assert expected in problems
    (tmp_path / "README.md").write_text("# no front matter\n")
    assert "no YAML front matter" in deploy.config_problems(tmp_path)[0]


@pytest.mark.parametrize("hardware", [None, "zero-a10g", "cpu-basic"])
def test_dry_run_lists_every_file_and_says_which_hardware_and_why(hardware):
    asked = ["--hardware", hardware] if hardware else []
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy_space.py"), "someone/mnist", "--dry-run", *asked],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_TOKEN": ""},
    )
    assert result.returncode == 0, result.stderr
    for line in (
        "demo/app.py",
        "mnist_flax/weights/cnn.safetensors",
        "requirements.txt",
        "LICENSE",
        "Space configuration: ok",
        "dry run: nothing sent to someone/mnist",
    ):
        assert line in result.stdout
    assert "tests/" not in result.stdout and "scripts/" not in result.stdout and "bench/" not in result.stdout
    assert "demo/tabs/draw.py" in result.stdout and "mnist_flax/inputs/battery.py" in result.stdout
    chosen = {
        None: "hardware: zero-a10g (ZeroGPU",
        "zero-a10g": "hardware: zero-a10g (ZeroGPU",
        "cpu-basic": "hardware: cpu-basic (CPU basic",
    }[hardware]
    why = "could not ask the Hub which plan this account has" if hardware is None else "asked for with --hardware"
    assert chosen in result.stdout and why in result.stdout


class Account:
    """huggingface_hub's HfApi, as far as choosing the hardware asks it."""

    def __init__(self, pro):
        self.pro = pro

    def whoami(self):
        return {"name": "someone", "isPro": self.pro}


def test_the_account_decides_the_hardware_when_none_is_asked_for():
    assert deploy.choose_hardware(None, Account(pro=False))[0] == "zero-a10g"
    assert deploy.choose_hardware(None, Account(pro=True))[0] == "cpu-basic"
    hardware, why = deploy.choose_hardware("zero-a10g", Account(pro=True))
    assert hardware == "zero-a10g" and why == "asked for with --hardware"


def test_zero_gpu_spaces_install_the_cuda_build_of_the_pinned_jax():
    jax = deploy.pinned("jax", ROOT / "requirements.txt")
    assert f"jax[cuda12]=={jax}" in deploy.requirements("zero-a10g")
    assert "cuda" not in deploy.requirements("cpu-basic")


class DeviceApi(BaseHTTPRequestHandler):
    """A stand-in for the Hub's ZeroGPU scheduler, as the spaces package calls it: it grants the GPU (or
    refuses with 503 while ``refuse`` is set) and keeps every call."""

    calls, refuse = [], False

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        DeviceApi.calls.append((url.path, dict(urllib.parse.parse_qsl(url.query))))
        body, status = b"", 200
        if url.path == "/schedule":
            status = 503 if DeviceApi.refuse else 200
            body = json.dumps(
                {"idle": False, "nvidiaIndex": 0, "nvidiaUUID": "GPU-00000000-fake", "allowToken": "token"}
            ).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def zero_gpu_scheduler():
    server = ThreadingHTTPServer(("127.0.0.1", 0), DeviceApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    DeviceApi.calls.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def start_space(tmp_path, hardware, **env):
    """The app started from the upload set for ``hardware`` alone, as a Space has it."""
    space = tmp_path / "space"
    deploy.stage(space, hardware=hardware)
    assert {p.name for p in space.iterdir()} == {"README.md", "LICENSE", "requirements.txt", "demo", "mnist_flax"}
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "GRADIO_SERVER_NAME": "0.0.0.0", **env}
    return start_app(space / "demo" / "app.py", env, tmp_path / "app.log")


def test_the_app_starts_from_the_upload_set_alone(tmp_path, mnist, image_file):
    """A Space on CPU hardware has only the uploaded files: the app must start from them and answer right."""
    app, url = start_space(tmp_path, "cpu-basic", MNIST_DATA_DIR="")
    try:
        client = Client(url, verbose=False)
        sketch = image_file(simulate_drawing(mnist.test.images[0], np.random.default_rng(0), as_layer=True))
        assert client.predict(sketch, "cnn", api_name="/predict")["label"] == str(mnist.test.labels[0])
    finally:
        stop_app(app)


def test_on_zero_gpu_drawings_stay_on_the_cpu_and_training_goes_to_the_gpu_slice(
    tmp_path, mnist, mnist_dir, image_file, zero_gpu_scheduler
):
    """The real spaces decorator in its ZeroGPU mode, with a stand-in scheduler: the run starts in the forked
    worker (in a fresh process, which finds no GPU here and says so), streams, finishes and returns its
    weights; a run the scheduler refuses trains on the CPU and says why."""
    app, url = start_space(
        tmp_path,
        "zero-a10g",
        SPACES_ZERO_GPU="true",
        SPACES_ZERO_DEVICE_API_URL=zero_gpu_scheduler,
        MNIST_DATA_DIR=str(mnist_dir),
    )
    try:
        client = Client(url, verbose=False)
        sketch = image_file(simulate_drawing(mnist.test.images[0], np.random.default_rng(0), as_layer=True))
        assert client.predict(sketch, "cnn", api_name="/predict")["label"] == str(mnist.test.labels[0])
        assert [path for path, _ in DeviceApi.calls] == ["/startup-report"]  # predictions never ask for the GPU
        run = train.api_payload("mlp", train.DEFAULT_RECIPE, steps=20, train_size=500)
        outputs = list(client.submit(**run, api_name="/train"))
        statuses = " ".join(str(o[1]) for o in outputs)
        assert "running" in statuses and "finished" in statuses and "on the CPU" in statuses
        assert "The GPU GPU-00000000-fake was lent to this run, but JAX could not use it." in statuses
        assert "test accuracy" in outputs[-1][5] and str(outputs[-1][7]).endswith(".safetensors")
        assert [path for path, _ in DeviceApi.calls] == ["/startup-report", "/schedule", "/allow", "/release"]
        calls = dict(DeviceApi.calls)
        assert int(calls["/schedule"]["durationSeconds"]) == zero_gpu.gpu_seconds(
            {"kind": "train", "steps": 20, "limits": {"max_seconds": 180}}
        )
        assert int(calls["/allow"]["pid"]) != app.pid and calls["/release"]["fail"] == "false"

        DeviceApi.refuse = True
        try:
            outputs = list(client.submit(**run, api_name="/train"))
        finally:
            DeviceApi.refuse = False
        statuses = " ".join(str(o[1]) for o in outputs)
        assert "The GPU was not available" in statuses and "so this run is on the CPU" in statuses
        assert "test accuracy" in outputs[-1][5]
    finally:
        stop_app(app)
