"""XLA settings for fast training on CPU, applied when mnist_flax is imported.

jaxlib 0.10 hands CPU convolutions to YNNPACK by default. XLA's Eigen convolutions ran the
tutorials' layers and whole conv training steps faster on CPU (docs/speed.md, "How the training
path was chosen", has the figures and the command). Dots stay with
YNNPACK, which is faster for them.

The flag only counts if it is in XLA_FLAGS before JAX starts its CPU backend; a YNNPACK setting
the user already put there wins. It does nothing on GPU.
"""

import os
import warnings

YNN_FUSION_FLAG = "--xla_cpu_experimental_ynn_fusion_type"
EIGEN_CONVOLUTIONS = f"{YNN_FUSION_FLAG}=-individual_convolution"


def prefer_eigen_convolutions() -> bool:
    """Adds ``EIGEN_CONVOLUTIONS`` to XLA_FLAGS; returns whether the flag is now in force."""
    flags = os.environ.get("XLA_FLAGS", "")
    if YNN_FUSION_FLAG in flags:
        return EIGEN_CONVOLUTIONS in flags.split()
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        warnings.warn(
            "JAX started before mnist_flax was imported, so CPU convolutions keep YNNPACK and train "
            "slower (docs/speed.md): import mnist_flax first, or set XLA_FLAGS=" + EIGEN_CONVOLUTIONS,
            stacklevel=3,
        )
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {EIGEN_CONVOLUTIONS}".strip()
    return True
