import json

import numpy as np
import pytest
import safetensors.numpy

from mnist_flax import MODELS, CheckpointError, load_checkpoint, load_model, save_checkpoint
from mnist_flax.checkpoints import FORMAT


@pytest.fixture
def saved(tmp_path):
    model = MODELS["cnn"].build(3)
    path = save_checkpoint(
        tmp_path / "w" / "cnn.safetensors", model, "cnn", MODELS["cnn"].best, test_accuracy=0.99, epochs=2
    )
    return path, model


def test_round_trip(saved):
    path, model = saved
    ck = load_checkpoint(path)
    assert ck.name == "cnn" and ck.recipe == MODELS["cnn"].best
    assert ck.metadata["test_accuracy"] == 0.99 and ck.metadata["epochs"] == 2 and ck.metadata["version"]
    x = np.random.default_rng(0).random((2, 28, 28), np.float32)
    np.testing.assert_array_equal(ck.model(x), model(x))
    assert [p.name for p in path.parent.iterdir()] == ["cnn.safetensors"]  # no temporary file left


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="nope.safetensors: no such weights file"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_truncated_file(saved):
    path, _ = saved
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=f"{path.name}.*truncated or corrupt"):
        load_checkpoint(path)


def test_corrupt_file(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_checkpoint(path)


def rewrite(path, arrays, metadata):
    path.write_bytes(safetensors.numpy.save(arrays, metadata=metadata))


def read(path):
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(header_len))["__metadata__"]
    return safetensors.numpy.load_file(path), meta


def test_other_architecture(saved):
    path, _ = saved
    arrays, meta = read(path)
    rewrite(path, arrays, {**meta, "model": "mlp"})
    with pytest.raises(CheckpointError, match="does not match the mlp architecture"):
        load_checkpoint(path)


def test_wrong_shape(saved):
    path, _ = saved
    arrays, meta = read(path)
    arrays["out.bias"] = np.zeros(11, np.float32)
    rewrite(path, arrays, meta)
    with pytest.raises(CheckpointError, match=r"out.bias has shape \(11,\)"):
        load_checkpoint(path)


def test_unknown_model_and_foreign_file(saved, tmp_path):
    path, _ = saved
    arrays, meta = read(path)
    rewrite(path, arrays, {**meta, "model": "resnet"})
    with pytest.raises(CheckpointError, match="unknown model 'resnet'"):
        load_checkpoint(path)
    foreign = tmp_path / "foreign.safetensors"
    rewrite(foreign, {"w": np.zeros(3, np.float32)}, {"format": "other"})
    with pytest.raises(CheckpointError, match="not an mnist_flax weights file"):
        load_checkpoint(foreign)
    assert meta["format"] == FORMAT


def test_load_model_from_path(saved):
    path, model = saved
    predictor = load_model(path)
    assert predictor.name == "cnn" and predictor.test_accuracy == 0.99


def test_load_model_errors(tmp_path, monkeypatch):
    from mnist_flax import prediction

    monkeypatch.setattr(prediction, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(CheckpointError, match="scripts/reproduce.py --recipes best --bundle"):  # as the app says
        load_model("cnn")
    with pytest.raises(CheckpointError, match="neither a model name"):
        load_model("resnet50")
