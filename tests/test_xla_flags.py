"""mnist_flax moves CPU convolutions from YNNPACK to Eigen when imported, and leaves a user's own setting alone."""

import os
import subprocess
import sys

from conftest import ROOT

CONV_LIBRARY = """
import warnings
warnings.simplefilter("error")  # a warning fails the check unless it is expected
{before}
import mnist_flax, os
import jax, jax.numpy as jnp
layout = ("NHWC", "HWIO", "NHWC")
hlo = jax.jit(lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=layout)
              ).lower(jnp.ones((32, 28, 28, 1)), jnp.ones((3, 3, 1, 32))).compile().as_text()  # cnn layer 1
print("ynnpack" if "ynn_fusion" in hlo else "eigen", os.environ.get("XLA_FLAGS", ""))
"""


def conv_library(before="", xla_flags=None):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update({"JAX_PLATFORMS": "cpu", **({"XLA_FLAGS": xla_flags} if xla_flags is not None else {})})
    result = subprocess.run(
        [sys.executable, "-c", CONV_LIBRARY.format(before=before)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout.split(maxsplit=1), result.stderr


def test_import_selects_eigen_convolutions_and_keeps_other_flags():
    rc, (library, flags), err = conv_library(xla_flags="--xla_force_host_platform_device_count=2")
    assert rc == 0, err
    assert library == "eigen"
    assert flags.split() == [
        "--xla_force_host_platform_device_count=2",
        "--xla_cpu_experimental_ynn_fusion_type=-individual_convolution",
    ]


def test_a_users_own_ynnpack_setting_wins():
    rc, (library, _), err = conv_library(xla_flags="--xla_cpu_experimental_ynn_fusion_type=+individual_convolution")
    assert rc == 0, err
    assert library == "ynnpack"


def test_jax_started_first_warns_how_to_fix():
    rc, _, err = conv_library(before="import jax; jax.numpy.ones(1)")
    assert rc != 0 and "import mnist_flax first, or set XLA_FLAGS=" in err
