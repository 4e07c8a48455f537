"""Data-parallel training on 2 forced CPU devices gives the single-device result."""

import os
import subprocess
import sys

SCRIPT = """
import jax, numpy as np
from flax import nnx
from mnist_flax import MODELS, Recipe, train
from mnist_flax.data import random_split
split = random_split(256)
for name, shuffle_on_device in RUNS:  # 4 steps an epoch: the first call of 5 steps crosses an epoch's end
    model = MODELS[name].build(0)
    list(train(model, Recipe(optimizer="adam", learning_rate=1e-3, batch_size=64), split, steps=6,
               steps_per_call=5, shuffle_on_device=shuffle_on_device))
    assert len(jax.tree.leaves(nnx.state(model))[0].sharding.device_set) == jax.device_count()
    leaves = [np.ravel(x) for x in jax.tree.leaves(nnx.state(model))]
    np.save(f"{OUT}/{name}_{shuffle_on_device}_{jax.device_count()}.npy", np.concatenate(leaves))
"""


RUNS = [("mlp", False), ("cnn", False), ("mlp", True)]  # the last draws its order on the devices, as GPUs do


def start(devices, out) -> subprocess.Popen:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", "JAX_PLATFORMS": "cpu"}
    code = f"OUT = {str(out)!r}\nRUNS = {RUNS!r}\n" + SCRIPT
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)


def test_two_devices_match_one(tmp_path):
    import numpy as np

    runs = [start(devices, tmp_path) for devices in (1, 2)]  # side by side: each is mostly start-up and compiling
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()
    for name, shuffle_on_device in RUNS:
        one, two = (np.load(tmp_path / f"{name}_{shuffle_on_device}_{n}.npy") for n in (1, 2))
        # Adam steps move parameters by ~1e-3; reduction order across devices differs by rounding only.
        np.testing.assert_allclose(one, two, rtol=1e-4, atol=1e-4)
        assert np.abs(one).max() > 0
