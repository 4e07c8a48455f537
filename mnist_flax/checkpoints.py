"""Weights as safetensors with the metadata needed to rebuild and trust them.

A file holds every array of the model's NNX state under its dotted path
(``conv1.kernel``) and string metadata: the model's registry name, the recipe
(JSON), test accuracy, epochs and library version (and what is fitted after training, such as the
temperature of ``calibration``). Writes are atomic (temporary file, then rename); loading checks the
architecture and every shape, and any problem raises ``CheckpointError`` naming the file and what is wrong.
"""

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import safetensors
import safetensors.numpy
from flax import nnx

from mnist_flax.recipe import Recipe
from mnist_flax.registry import get_model_entry

FORMAT = "mnist_flax/1"


class CheckpointError(ValueError):
    """A weights file is missing, unreadable or does not fit its model."""


def _flat_arrays(model: nnx.Module) -> dict[str, np.ndarray]:
    return {_key(path): np.asarray(v) for path, v in nnx.to_flat_state(nnx.state(model))}


def save_checkpoint(path, model: nnx.Module, name: str, recipe: Recipe, **metadata) -> Path:
    """Writes ``model`` to ``path`` atomically, with extra metadata (test_accuracy=..., epochs=...) as text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from mnist_flax import __version__

    meta = {
        "format": FORMAT,
        "model": name,
        "recipe": json.dumps(recipe.as_dict()),
        "version": __version__,
        **{k: json.dumps(v) for k, v in metadata.items()},
    }
    data = safetensors.numpy.save(_flat_arrays(model), metadata=meta)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; weights are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    path: Path
    name: str  # registry name
    recipe: Recipe
    metadata: dict  # decoded: test_accuracy, epochs, version, ...
    model: nnx.Module

    def save(self, **changes) -> Path:
        """Rewrites the file with the same model and recipe; ``changes`` replace metadata."""
        kept = {k: v for k, v in self.metadata.items() if k not in ("format", "model", "version")}
        return save_checkpoint(self.path, self.model, self.name, self.recipe, **{**kept, **changes})


def load_checkpoint(path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        with safetensors.safe_open(str(path), framework="numpy") as f:
            raw_meta = f.metadata() or {}
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types for truncated or corrupt files
        raise CheckpointError(f"{path}: not a readable safetensors file ({e}); it may be truncated or corrupt") from e
    if raw_meta.get("format") != FORMAT or "model" not in raw_meta:
        raise CheckpointError(f"{path}: not an mnist_flax weights file (metadata {sorted(raw_meta)})")
    try:
        entry = get_model_entry(raw_meta["model"])
        recipe = Recipe(**json.loads(raw_meta["recipe"]))
        metadata = {
            k: v if k in ("format", "model", "version") else json.loads(v) for k, v in raw_meta.items() if k != "recipe"
        }
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{path}: bad metadata: {e}") from e
    model = nnx.eval_shape(lambda: entry.build(0))  # shapes only: the file supplies the values
    expected = {_key(path): v for path, v in nnx.to_flat_state(nnx.state(model))}
    missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{path}: does not match the {entry.name} architecture "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
        )
    for key, value in expected.items():
        if arrays[key].shape != tuple(value.shape) or arrays[key].dtype != value.dtype:
            raise CheckpointError(
                f"{path}: {key} has shape {arrays[key].shape} {arrays[key].dtype}, "
                f"but {entry.name} needs {value.shape} {value.dtype}"
            )
    nnx.update(
        model, nnx.from_flat_state([(p, jnp.asarray(arrays[_key(p)])) for p, _ in nnx.to_flat_state(nnx.state(model))])
    )
    return Checkpoint(path, entry.name, recipe, metadata, model)


def _key(path) -> str:
    return ".".join(map(str, path))
