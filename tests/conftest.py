"""Shared test set-up: strict dtype promotion, and real MNIST from $MNIST_DATA_DIR or ../shared/mnist."""

import os
from pathlib import Path

import jax
import pytest

import mnist_flax  # before any JAX computation: it sets XLA's CPU flags (mnist_flax/xla_flags.py)
from bench.harness import start_app, stop_app

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


@pytest.fixture(scope="session")
def app(mnist_dir, tmp_path_factory):
    """The demo app's process and URL, started as a user would (python demo/app.py) on a free localhost port,
    once for every test that talks to it."""
    process, url = start_app(
        ROOT / "demo" / "app.py",
        {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "MNIST_DATA_DIR": str(mnist_dir)},
        tmp_path_factory.mktemp("app") / "app.log",
    )
    yield process, url
    stop_app(process)


@pytest.fixture(scope="session")
def app_url(app):
    return app[1]


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
