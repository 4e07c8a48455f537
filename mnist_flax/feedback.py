"""Corrections from visitors: "Wrong? It is a 7", kept to measure the models on and to fine-tune them.

Each correction is one folder: the drawing as the app received it (``original.png``, and ``photo.*``
when it came from a photo), the 28x28 digit the models saw (``digit.png``) and ``record.json`` with the
label and every model's probabilities. They are written under ``feedback_dir()`` only when a visitor
clicks to send one; with ``$MNIST_FLAX_FEEDBACK_DATASET`` (a Hugging Face dataset id, and a token that
may write to it) the folder is also pushed there every few minutes (``hub_sync``).
``scripts/feedback.py`` reports each model's accuracy on them and exports them as IDX files.
"""

import datetime
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_flax.data import Split

DIR_ENV = "MNIST_FLAX_FEEDBACK_DIR"
DATASET_ENV = "MNIST_FLAX_FEEDBACK_DATASET"
DEFAULT_DIR = "~/.cache/mnist_flax/feedback"  # beside the app's compilation cache
SYNC_MINUTES = 5


def feedback_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR).expanduser()


def save_correction(
    folder, original: np.ndarray, digit: np.ndarray, label: int, probabilities: dict[str, np.ndarray], photo=None
) -> Path:
    """Writes one correction into a new folder under ``folder`` and returns it: ``original`` (the drawing
    as received, uint8), ``digit`` (28x28 uint8), the visitor's ``label``, each model's ``probabilities``
    and, when the drawing came from one, the ``photo`` file."""
    if not 0 <= int(label) <= 9:
        raise ValueError(f"the label must be a digit from 0 to 9, got {label!r}")
    if np.asarray(digit).shape != (28, 28):
        raise ValueError(f"the digit must be 28x28, got {np.asarray(digit).shape}")
    now = datetime.datetime.now(datetime.UTC)
    entry = Path(folder) / f"{now:%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:6]}"  # sorts oldest first
    entry.mkdir(parents=True)
    Image.fromarray(np.asarray(original, np.uint8)).save(entry / "original.png")
    Image.fromarray(np.asarray(digit, np.uint8)).save(entry / "digit.png")
    if photo is not None:
        shutil.copyfile(photo, entry / f"photo{Path(photo).suffix or '.jpg'}")
    record = {
        "label": int(label),
        "time": now.isoformat(timespec="seconds"),
        "answers": {name: int(np.argmax(p)) for name, p in probabilities.items()},
        "probabilities": {name: [round(float(x), 5) for x in p] for name, p in probabilities.items()},
    }
    (entry / "record.json").write_text(json.dumps(record, indent=1))
    return entry


def load_corrections(folder) -> tuple[Split, list[dict]]:
    """Every correction under ``folder``, oldest first: the digits with their labels, and the records.
    Folders without a readable record (one being written, or damaged) are skipped."""
    images, records = [], []
    for entry in sorted(Path(folder).glob("*/record.json")):
        try:
            record = json.loads(entry.read_text())
            image = np.asarray(Image.open(entry.parent / "digit.png").convert("L"))
        except (OSError, ValueError):
            continue
        if image.shape == (28, 28) and 0 <= record.get("label", -1) <= 9:
            images.append(image)
            records.append(record)
    split = Split(
        np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
        np.array([r["label"] for r in records], np.int32),
    )
    return split, records


def hub_sync(folder=None):
    """With ``$MNIST_FLAX_FEEDBACK_DATASET`` set, a ``huggingface_hub.CommitScheduler`` that pushes ``folder``
    to that dataset every ``SYNC_MINUTES`` (token from ``$HF_TOKEN`` or the login); else None."""
    repo = os.environ.get(DATASET_ENV)
    if not repo:
        return None
    from huggingface_hub import CommitScheduler

    folder = Path(folder or feedback_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return CommitScheduler(
        repo_id=repo,
        repo_type="dataset",
        folder_path=folder,
        path_in_repo="corrections",
        every=SYNC_MINUTES,
        private=True,
    )
