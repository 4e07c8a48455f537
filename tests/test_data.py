import gzip
import hashlib
import time

import numpy as np
import pytest

from mnist_flax import MnistError, data, load_mnist


def write_idx(path, array, gz=True):
    ndim = array.ndim
    header = (0x0800 + ndim).to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.fixture
def synthetic_dir(tmp_path, monkeypatch):
    """A folder of four small IDX files, registered as the expected checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28)),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 30),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (7, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 7),
    }
    for name, array in arrays.items():
        write_idx(tmp_path / name, array)
    monkeypatch.setattr(data, "SHA256", {n: hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in arrays})
    monkeypatch.setattr(data, "VALIDATION_SIZE", 10)
    return tmp_path, arrays


def test_reads_idx_files(synthetic_dir):
    folder, arrays = synthetic_dir
    mnist = load_mnist(folder)
    np.testing.assert_array_equal(mnist.train.images, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(mnist.test.labels, arrays["t10k-labels-idx1-ubyte.gz"])
    assert mnist.train.images.dtype == np.uint8 and mnist.train.labels.dtype == np.int32
    np.testing.assert_array_equal(mnist.validation.images, mnist.train.images[-10:])
    assert len(mnist.train_without_validation) == 20


def test_folder_from_environment_variable(synthetic_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(synthetic_dir[0]))
    assert len(load_mnist().test) == 7


def test_checksum_mismatch_names_file_and_both_checksums(synthetic_dir):
    folder, _ = synthetic_dir
    path = folder / "t10k-labels-idx1-ubyte.gz"
    expected = data.SHA256[path.name]
    write_idx(path, np.zeros(7))
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(MnistError, match=path.name) as err:
        load_mnist(folder)
    assert expected in str(err.value) and actual in str(err.value)


def test_missing_file_and_folder(synthetic_dir, tmp_path):
    folder, _ = synthetic_dir
    (folder / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(MnistError, match="train-images-idx3-ubyte.gz is missing"):
        load_mnist(folder)
    with pytest.raises(MnistError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_unreadable_idx(synthetic_dir, monkeypatch):
    folder, _ = synthetic_dir
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x09\x99garbage"))
    monkeypatch.setitem(data.SHA256, path.name, hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(MnistError, match="not a readable IDX file"):
        load_mnist(folder)


def test_offline_without_cache_fails_fast_with_options(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "URL", "https://mnist.invalid/")  # a name that never resolves
    start = time.perf_counter()
    with pytest.raises(MnistError) as err:
        load_mnist()
    assert time.perf_counter() - start < 10
    assert "--data-dir" in str(err.value) and data.ENV_VAR in str(err.value)


def test_tfds_cache_is_used_offline(tmp_path, monkeypatch, mnist_dir):
    """Files in tfds's download cache load without any network."""
    from tensorflow_datasets.core.download import resource

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "_online", lambda url: pytest.fail("went online although cached"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name, sha in data.SHA256.items():
        (downloads / resource.get_dl_fname(data.URL + name, sha)).write_bytes((mnist_dir / name).read_bytes())
    assert len(load_mnist().train) == 60_000


def test_real_mnist(mnist):
    assert mnist.train.images.shape == (60_000, 28, 28) and mnist.test.images.shape == (10_000, 28, 28)
    assert mnist.train.images.dtype == np.uint8 and mnist.train.images.max() == 255
    assert list(mnist.train.labels[:5]) == [5, 0, 4, 1, 9]  # the official order
    assert np.bincount(mnist.test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert len(mnist.validation) == 10_000 and len(mnist.train_without_validation) == 50_000


def test_behind_a_proxy_the_download_itself_decides(monkeypatch):
    """A direct connection test would fail behind a proxy; the download goes through it instead."""
    monkeypatch.setattr(data, "URL", "https://mnist.invalid/")
    for variable in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    assert not data._online(data.URL)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert data._online(data.URL)


def test_a_failed_download_says_what_to_do(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def refuse(self, urls):
        raise ConnectionError("connection reset by peer")

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "_online", lambda url: True)
    monkeypatch.setattr(tfds.download.DownloadManager, "download", refuse)
    with pytest.raises(
        MnistError, match="downloading MNIST .* failed \\(ConnectionError: connection reset by peer\\).*--data-dir"
    ):
        load_mnist()
