"""Single-layer timings behind the training path's choices (README, "Speed"), p50 ms and GFLOP/s.

    python scripts/kernel_benchmark.py               # batch 32
    python scripts/kernel_benchmark.py --batch 128

- deep_cnn's four convolutions (cnn's first and a smaller second): forward, input gradient and
  weight gradient with the convolutions mnist_flax selects (Eigen, mnist_flax/xla_flags.py);
- the first, one-channel layer: XLA's convolution against mnist_flax/convolution.py's shifted sum,
  and the sum's own autodiff weight gradient against XLA's;
- cnn's whole forward pass (prediction, no gradient) with either first convolution;
- matmuls: a large square one and mlp's first layer (forward and both gradients), fp32 against
  bf16 inputs with fp32 accumulation.
"""
import argparse

from benchmark import latencies, table  # first: benchmark imports mnist_flax, which sets XLA's flags
import jax
import jax.numpy as jnp
from flax import nnx

from mnist_flax import MODELS
from mnist_flax.convolution import _shifted_sum

DEEP_CNN_CONVS = [("conv1", 28, 1, 32), ("conv2", 26, 32, 32), ("conv3", 12, 32, 64), ("conv4", 10, 64, 64)]


def conv(x, w):
    return jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def p50_ms(fn, *args, repeats=200):
    fn = jax.jit(fn)
    return latencies(lambda: jax.block_until_ready(fn(*args)), repeats)[0]


def row(layer, op, ms, flops):
    return dict(layer=layer, op=op, p50_ms=round(ms, 3), gflops=round(flops / ms / 1e6) if flops else "-")


def input_gradient(f):
    return lambda x, w, dy: jax.vjp(lambda x: f(x, w), x)[1](dy)[0]


def weight_gradient(f):
    return lambda x, w, dy: jax.vjp(lambda w: f(x, w), w)[1](dy)[0]


def conv_rows(batch):
    rows = []
    key = jax.random.key(0)
    for layer, side, c_in, c_out in DEEP_CNN_CONVS:
        x = jax.random.normal(key, (batch, side, side, c_in))
        w = jax.random.normal(key, (3, 3, c_in, c_out))
        dy = jax.random.normal(key, (batch, side - 2, side - 2, c_out))
        flops = 2 * batch * (side - 2) ** 2 * 9 * c_in * c_out
        rows.append(row(layer, "forward", p50_ms(conv, x, w), flops))
        if c_in > 1:  # the first layer's input gradient is never needed
            rows.append(row(layer, "input gradient", p50_ms(input_gradient(conv), x, w, dy), flops))
        rows.append(row(layer, "weight gradient", p50_ms(weight_gradient(conv), x, w, dy), flops))
        if c_in == 1:
            rows.append(row(layer, "forward, shifted sum", p50_ms(_shifted_sum, x, w), flops))
            rows.append(row(layer, "weight gradient, sum's autodiff",
                            p50_ms(weight_gradient(_shifted_sum), x, w, dy), flops))
    return rows


def prediction_rows(batch):
    """cnn's forward pass as prediction runs it (XLA's first convolution) and with the shifted sum."""
    rows = []
    for first_conv in ("XLA convolution", "shifted sum"):
        model = MODELS["cnn"].build(0)
        if first_conv == "shifted sum":
            model.conv1.conv_general_dilated = lambda lhs, rhs, *args, **kwargs: _shifted_sum(lhs, rhs)
        graphdef, state = nnx.split(model)
        for n in sorted({1, batch}):
            ms = p50_ms(lambda state, x: nnx.merge(graphdef, state)(x), state, jnp.ones((n, 28, 28)))
            rows.append(row(f"cnn forward, batch {n}", f"first conv: {first_conv}", ms, 0))
    return rows


def matmul_rows(batch):
    rows = []
    for dtype in (jnp.float32, jnp.bfloat16):
        def dot(a, b):
            return jnp.dot(a.astype(dtype), b.astype(dtype), preferred_element_type=jnp.float32)

        name = jnp.dtype(dtype).name
        a = jnp.ones((1024, 1024))
        rows.append(row("1024x1024 matmul", name, p50_ms(dot, a, a, repeats=50), 2 * 1024 ** 3))
        x, w, dy = jnp.ones((batch, 784)), jnp.ones((784, 256)), jnp.ones((batch, 256))
        step = lambda x, w, dy: (dot(x, w), dot(dy, w.T), dot(x.T, dy))  # noqa: E731  forward, both gradients
        rows.append(row("mlp layer 1, forward + gradients", name, p50_ms(step, x, w, dy), 3 * 2 * batch * 784 * 256))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args(argv)
    rows = conv_rows(args.batch) + prediction_rows(args.batch) + matmul_rows(args.batch)
    print(f"batch {args.batch}\n" + table(rows, ["layer", "op", "p50_ms", "gflops"]))


if __name__ == "__main__":
    main()
