"""Shared test set-up: strict dtype promotion, and real MNIST from $MNIST_DATA_DIR or ../shared/mnist."""
import os
import sys
from pathlib import Path

import mnist_flax  # before any JAX computation: it sets XLA's CPU flags (mnist_flax/xla_flags.py)
import jax
import pytest

ROOT = Path(__file__).resolve().parents[1]

jax.config.update("jax_numpy_dtype_promotion", "strict")


def pytest_addoption(parser):
    parser.addoption("--mnist-dir", default=None, help="folder of the four official MNIST .gz files")


@pytest.fixture(scope="session")
def mnist_dir(request) -> Path:
    found = request.config.getoption("--mnist-dir") or os.environ.get("MNIST_DATA_DIR")
    path = Path(found) if found else ROOT.parent / "shared" / "mnist"
    if not (path / "t10k-labels-idx1-ubyte.gz").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"real MNIST not found in {path}: set MNIST_DATA_DIR or --mnist-dir")
        pytest.skip(f"real MNIST not found in {path}: set MNIST_DATA_DIR or --mnist-dir")
    return path


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    return mnist_flax.load_mnist(mnist_dir)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(app: Path, env: dict, log: Path):
    """``python demo/app.py`` as a user starts it from the folder above ``app``, with ``env`` and its output in
    ``log``; returns the process and its URL once it answers."""
    import subprocess
    import time
    import urllib.request

    port = _free_port()
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    root = app.parent.parent
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, str(app.relative_to(root))], cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"the app did not start (exit code {process.poll()}): {log.read_text()[-3000:]}")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def app_url(mnist_dir, tmp_path_factory):
    """The demo app, started as a user would (python demo/app.py) on a free localhost port."""
    process, url = start_app(ROOT / "demo" / "app.py", {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1",
                                                       "MNIST_DATA_DIR": str(mnist_dir)},
                             tmp_path_factory.mktemp("app") / "app.log")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def image_file(tmp_path_factory):
    """Writes an image array as a PNG and returns it as gradio_client sends a file to an image input."""
    from gradio_client import handle_file
    from PIL import Image

    folder = tmp_path_factory.mktemp("sketches")

    def make(array, name="image"):
        path = folder / f"{name}.png"
        Image.fromarray(array).save(path)
        return handle_file(str(path))

    return make
