"""A 2-D convolution whose backward pass is two ordinary forward convolutions.

Inside ``lax.scan`` XLA's CPU backend lowers the gradient convolutions it derives
itself to a generic kernel several times slower than a forward convolution. Writing
the VJP by hand as two forward convolutions keeps every convolution on the fast
kernel and gives the same gradients. The signature matches
``lax.conv_general_dilated`` so it can be handed to ``nnx.Conv``.
"""
import jax
from jax import lax

_NHWC = ("NHWC", "HWIO", "NHWC")


@jax.custom_vjp
def _conv_valid(x, w):
    return lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=_NHWC)


def _conv_valid_fwd(x, w):
    return _conv_valid(x, w), (x, w)


def _conv_valid_bwd(residuals, dy):
    x, w = residuals
    kh, kw = w.shape[:2]
    # dx: a 'full' convolution of dy with the kernel rotated 180 degrees, in and out swapped.
    w_t = jax.numpy.flip(w, (0, 1)).transpose(0, 1, 3, 2)
    dx = lax.conv_general_dilated(
        dy, w_t, (1, 1), ((kh - 1, kh - 1), (kw - 1, kw - 1)), dimension_numbers=_NHWC
    )
    # dw: correlate x with dy, the batch playing the part of the input channels.
    dw = lax.conv_general_dilated(
        x, dy, (1, 1), "VALID", dimension_numbers=("CHWN", "IHWO", "HWNC")
    )
    return dx, dw


_conv_valid.defvjp(_conv_valid_fwd, _conv_valid_bwd)


def conv_general_dilated(
    lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
    dimension_numbers=None, feature_group_count=1, precision=None,
    preferred_element_type=None, out_sharding=None,
):
    """Drop-in for ``lax.conv_general_dilated`` for the stride-1 'VALID' NHWC case."""
    plain = (
        tuple(window_strides) == (1, 1)
        and (padding == "VALID" or all(tuple(p) == (0, 0) for p in padding))
        and not any(d not in (None, 1, (1, 1)) for d in (lhs_dilation, rhs_dilation))
        and feature_group_count == 1
        and preferred_element_type is None
        and out_sharding is None
    )
    if not plain:
        return lax.conv_general_dilated(
            lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
            dimension_numbers, feature_group_count, precision=precision,
            preferred_element_type=preferred_element_type, out_sharding=out_sharding,
        )
    return _conv_valid(lhs, rhs)
