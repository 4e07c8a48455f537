"""Shared test set-up: strict dtype promotion, and real MNIST from $MNIST_DATA_DIR or ../shared/mnist."""
import os
import sys
from pathlib import Path

import jax
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
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
    import mnist_flax

    return mnist_flax.load_mnist(mnist_dir)
