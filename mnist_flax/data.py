"""MNIST as numpy arrays, from a local folder of the official files or fetched by tfds.

Two sources, both ending in the same numpy reader of the four official IDX files
(so the training order is the official one, and the tutorials' validation split is
the last 10,000 training images):

* a folder named by ``data_dir`` or ``$MNIST_DATA_DIR`` holding the four ``.gz``
  files; each is checked against the official sha256;
* otherwise tensorflow-datasets' download manager fetches them (registered
  checksums, a progress bar, cached under ``$TFDS_DATA_DIR/downloads``).
  TensorFlow is never imported. Offline with nothing cached, the loader fails in
  seconds with the user's options instead of retrying for minutes.
"""

import dataclasses
import gzip
import hashlib
import os
import socket
from pathlib import Path

import numpy as np

ENV_VAR = "MNIST_DATA_DIR"
URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
VALIDATION_SIZE = 10_000


class MnistError(RuntimeError):
    """MNIST could not be found, fetched or read; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, 0 = background, 255 = ink
    labels: np.ndarray  # (N,) int32

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return Split(self.images[index], self.labels[index])

    def __add__(self, other: "Split") -> "Split":
        return Split(np.concatenate([self.images, other.images]), np.concatenate([self.labels, other.labels]))


@dataclasses.dataclass(frozen=True)
class Mnist:
    train: Split  # all 60,000 training images, official order
    test: Split  # the official 10,000 test images

    @property
    def validation(self) -> Split:
        """The tutorials' validation set: the last 10,000 training images."""
        return self.train[-VALIDATION_SIZE:]

    @property
    def train_without_validation(self) -> Split:
        """The tutorials' training set: the first 50,000 training images."""
        return self.train[:-VALIDATION_SIZE]


def random_split(n: int, seed: int = 0) -> Split:
    """``n`` random MNIST-shaped images and labels: for benchmarks and tests that need no real digits."""
    rng = np.random.default_rng(seed)
    return Split(rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n).astype(np.int32))


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """Loads MNIST; ``data_dir`` (or ``$MNIST_DATA_DIR``) names a folder of the official files."""
    data_dir = data_dir or os.environ.get(ENV_VAR)
    paths = _local_files(Path(data_dir).expanduser()) if data_dir else _tfds_files()
    return Mnist(
        train=Split(_read_idx(paths["train-images-idx3-ubyte.gz"]), _read_idx(paths["train-labels-idx1-ubyte.gz"])),
        test=Split(_read_idx(paths["t10k-images-idx3-ubyte.gz"]), _read_idx(paths["t10k-labels-idx1-ubyte.gz"])),
    )


def _local_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise MnistError(f"MNIST folder {folder} does not exist (from data_dir or ${ENV_VAR}).")
    paths = {}
    for name, expected in SHA256.items():
        path = folder / name
        if not path.is_file():
            raise MnistError(f"{path} is missing: the folder must hold the four official MNIST files {sorted(SHA256)}.")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise MnistError(
                f"{path} has sha256 {actual}, but the official file has {expected}: it is corrupt or not the "
                "official MNIST file."
            )
        paths[name] = path
    return paths


def _tfds_download_dir() -> Path:
    return Path(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")).expanduser() / "downloads"


def _tfds_files() -> dict[str, Path]:
    """The four files through tfds's download manager: cached, or fetched with checksums."""
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.download import checksums, resource  # no TensorFlow import

    url_infos = checksums.load_url_infos(Path(tfds.__file__).parent / "url_checksums" / "mnist.txt")
    download_dir = _tfds_download_dir()
    cached = {name: download_dir / resource.get_dl_fname(URL + name, SHA256[name]) for name in SHA256}
    if all(p.is_file() for p in cached.values()):
        return cached
    if not _online(URL):
        raise MnistError(
            f"MNIST is not cached in {download_dir} and {URL} cannot be reached. Either connect to the "
            f"internet (tensorflow-datasets then fetches and caches it), or download the four files "
            f"{sorted(SHA256)} and pass their folder as data_dir / --data-dir or set ${ENV_VAR}."
        )
    manager = tfds.download.DownloadManager(download_dir=download_dir, url_infos=url_infos, dataset_name="mnist")
    try:
        return {name: Path(p) for name, p in manager.download({name: URL + name for name in SHA256}).items()}
    except Exception as e:  # tfds raises its own, requests' and OS errors
        raise MnistError(
            f"downloading MNIST from {URL} failed ({type(e).__name__}: {e}). Try again, check the "
            f"network or proxy settings, or pass a folder of the four official files as data_dir / "
            f"--data-dir or ${ENV_VAR}."
        ) from e


def _online(url: str, timeout: float = 3.0) -> bool:
    """Whether the host answers; behind a proxy ($HTTPS_PROXY, $ALL_PROXY) the download itself must tell."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    host = url.split("/")[2]
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


IDX_FILES = ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz")  # with a prefix: train-, t10k-, feedback-


def write_idx_split(split: Split, folder, prefix: str) -> list[Path]:
    """``split`` as the two gzipped IDX files MNIST itself comes in, ``folder/{prefix}-images-idx3-ubyte.gz``
    and ``...-labels-idx1-ubyte.gz`` (read back by ``read_idx_split``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{prefix}-{name}" for name in IDX_FILES]
    for path, array, magic in ((paths[0], split.images, 0x0803), (paths[1], split.labels, 0x0801)):
        header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        with gzip.open(path, "wb") as f:
            f.write(header + np.asarray(array, np.uint8).tobytes())
    return paths


def read_idx_split(folder, prefix: str) -> Split:
    """The images and labels ``write_idx_split`` wrote (or any IDX pair named like MNIST's)."""
    images, labels = (_read_idx(Path(folder) / f"{prefix}-{name}") for name in IDX_FILES)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise MnistError(f"{folder}: {prefix} images {images.shape} do not match labels {labels.shape}")
    return Split(images, labels)


def _read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (gzipped or not): magic 0x0803 images or 0x0801 labels."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
        magic = int.from_bytes(raw[:4], "big")
        ndim = magic & 0xFF
        if magic >> 8 != 0x08 or ndim not in (1, 3):
            raise ValueError(f"bad magic number {magic:#010x}")
        shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except FileNotFoundError:
        raise MnistError(f"{path}: no such file") from None
    except (OSError, EOFError, ValueError) as e:
        raise MnistError(f"{path} is not a readable IDX file: {e}") from e
    return data.astype(np.int32) if ndim == 1 else data
