"""relu followed by 2x2 max-pooling, with a hand-written backward pass.

XLA's CPU gradient of ``reduce_window`` max (select-and-scatter) costs many times
the forward pass (docs/speed.md); comparing each input with its window's maximum
costs about as much as the forward. Fusing the relu makes the comparison exact: after a relu,
windows tie only at 0, where the relu's gradient is 0 anyway.
"""

import jax
import jax.numpy as jnp


def _windows(x):
    b, h, w, c = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(b, h // 2, 2, w // 2, 2, c)


@jax.custom_vjp
def relu_max_pool(x):
    """max_pool(relu(x), 2x2, stride 2) on NHWC; odd edges are dropped, as Keras does."""
    return jax.nn.relu(_windows(x).max((2, 4)))


def _fwd(x):
    y = relu_max_pool(x)
    return y, (x, y)


def _bwd(residuals, dy):
    x, y = residuals
    winner = (_windows(x) == y[:, :, None, :, None]) & (y[:, :, None, :, None] > 0)
    g = jnp.where(winner, dy[:, :, None, :, None], 0.0).reshape(_windows(x).shape)
    b, h, w, c = x.shape
    g = g.reshape(b, h // 2 * 2, w // 2 * 2, c)
    return (jnp.pad(g, ((0, 0), (0, h % 2), (0, w % 2), (0, 0))),)


relu_max_pool.defvjp(_fwd, _bwd)
