"""Single-layer timings behind the training path's choices, p50 ms and GFLOP/s (speed.md).

    python -m bench kernels               # batch 32
    python -m bench kernels --batch 128

- deep_cnn's four convolutions (cnn's first and a smaller second): forward, input gradient and weight gradient
  with the convolutions mnist_flax selects (Eigen, mnist_flax/xla_flags.py);
- the first, one-channel layer: XLA's convolution against mnist_flax/convolution.py's shifted sum, and the
  sum's own autodiff weight gradient against XLA's;
- cnn's whole forward pass (prediction, no gradient) with either first convolution;
- matmuls: a large square one and mlp's first layer (forward and both gradients), fp32 against bf16 inputs
  with fp32 accumulation.
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from bench import harness
from mnist_flax import MODELS
from mnist_flax.convolution import _shifted_sum

DEEP_CNN_CONVS = [("conv1", 28, 1, 32), ("conv2", 26, 32, 32), ("conv3", 12, 32, 64), ("conv4", 10, 64, 64)]


def add_arguments(p):
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=200, help="timed calls per figure (the large matmul: a quarter)")


def conv(x, w):
    return jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def row(layer, op, fn, args, flops, repeats) -> list:
    """[layer, op, p50 ms, GFLOP/s] of ``fn(*args)`` compiled."""
    fn = jax.jit(fn)
    ms = float(np.median(harness.latencies(lambda: jax.block_until_ready(fn(*args)), repeats)))
    return [layer, op, round(ms, 3), round(flops / ms / 1e6) if flops else "-"]


def input_gradient(f):
    return lambda x, w, dy: jax.vjp(lambda x: f(x, w), x)[1](dy)[0]


def weight_gradient(f):
    return lambda x, w, dy: jax.vjp(lambda w: f(x, w), w)[1](dy)[0]


def conv_rows(batch, repeats):
    rows = []
    key = jax.random.key(0)
    for layer, side, c_in, c_out in DEEP_CNN_CONVS:
        x = jax.random.normal(key, (batch, side, side, c_in))
        w = jax.random.normal(key, (3, 3, c_in, c_out))
        dy = jax.random.normal(key, (batch, side - 2, side - 2, c_out))
        flops = 2 * batch * (side - 2) ** 2 * 9 * c_in * c_out
        rows.append(row(layer, "forward", conv, (x, w), flops, repeats))
        if c_in > 1:  # the first layer's input gradient is never needed
            rows.append(row(layer, "input gradient", input_gradient(conv), (x, w, dy), flops, repeats))
        rows.append(row(layer, "weight gradient", weight_gradient(conv), (x, w, dy), flops, repeats))
        if c_in == 1:
            rows.append(row(layer, "forward, shifted sum", _shifted_sum, (x, w), flops, repeats))
            rows.append(
                row(layer, "weight gradient, sum's autodiff", weight_gradient(_shifted_sum), (x, w, dy), flops, repeats)
            )
    return rows


def prediction_rows(batch, repeats):
    """cnn's forward pass as prediction runs it (XLA's first convolution) and with the shifted sum."""
    rows = []
    for first_conv in ("XLA convolution", "shifted sum"):
        model = MODELS["cnn"].build(0)
        if first_conv == "shifted sum":
            model.conv1.conv_general_dilated = lambda lhs, rhs, *args, **kwargs: _shifted_sum(lhs, rhs)
        graphdef, state = nnx.split(model)
        for n in sorted({1, batch}):
            rows.append(
                row(
                    f"cnn forward, batch {n}",
                    f"first conv: {first_conv}",
                    lambda state, x, graphdef=graphdef: nnx.merge(graphdef, state)(x),
                    (state, jnp.ones((n, 28, 28))),
                    0,
                    repeats,
                )
            )
    return rows


def matmul_rows(batch, repeats):
    rows = []
    for dtype in (jnp.float32, jnp.bfloat16):

        def dot(a, b, dtype=dtype):
            return jnp.dot(a.astype(dtype), b.astype(dtype), preferred_element_type=jnp.float32)

        name = jnp.dtype(dtype).name
        a = jnp.ones((1024, 1024))
        rows.append(row("1024x1024 matmul", name, dot, (a, a), 2 * 1024**3, max(1, repeats // 4)))
        x, w, dy = jnp.ones((batch, 784)), jnp.ones((784, 256)), jnp.ones((batch, 256))
        step = lambda x, w, dy: (dot(x, w), dot(dy, w.T), dot(x.T, dy))  # noqa: E731  forward, both gradients
        rows.append(row("mlp layer 1, forward + gradients", name, step, (x, w, dy), 3 * 2 * batch * 784 * 256, repeats))
    return rows


def run(args):
    rows = [cells for part in (conv_rows, prediction_rows, matmul_rows) for cells in part(args.batch, args.repeats)]
    table = harness.table(["layer", "op", "p50 (ms)", "GFLOP/s"], rows, align="ll")
    harness.publish(args.docs / "speed.md", "kernels", args.command, f"Batch {args.batch}:\n\n{table}")
