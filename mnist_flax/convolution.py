"""``lax.conv_general_dilated`` with a faster training path for a one-channel image's first convolution.

XLA's convolution runs a layer with one input channel far below the machine's rate. In a training
step, computing it as nine shifted, fused multiply-adds made cnn's step faster on CPU and on an
H100 (deep_cnn's: no difference beyond noise); its gradient stays XLA's own (autodiff of the sum
was slower). Without differentiation (prediction, evaluation) XLA's convolution measured faster
inside the model, so that path keeps it. Figures: docs/speed.md (single layers, the training
path's variants, GPU).
"""

import jax

_NHWC = ("NHWC", "HWIO", "NHWC")


def _lax_conv(x, kernel):
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "VALID", dimension_numbers=_NHWC)


def _shifted_sum(x, kernel):
    kh, kw = kernel.shape[:2]
    h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    return sum(x[:, i : i + h, j : j + w, :] * kernel[i, j] for i in range(kh) for j in range(kw))


@jax.custom_vjp
def single_channel_conv(x, kernel):
    """Stride-1 'VALID' convolution of NHWC ``x`` with one channel by an HWIO ``kernel``."""
    return _lax_conv(x, kernel)


def _fwd(x, kernel):
    return _shifted_sum(x, kernel), (x, kernel)


def _bwd(residuals, dy):
    return jax.vjp(_lax_conv, *residuals)[1](dy)


single_channel_conv.defvjp(_fwd, _bwd)


def conv_general_dilated(
    lhs,
    rhs,
    window_strides,
    padding,
    *,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    feature_group_count=1,
    precision=None,
    **kwargs,
):
    """Drop-in for ``lax.conv_general_dilated`` (``nnx.Conv(conv_general_dilated=...)``): the
    single-channel, stride-1, undilated 'VALID' NHWC case takes ``single_channel_conv``."""
    fast = (
        rhs.ndim == 4
        and rhs.shape[2] == 1
        and padding == "VALID"
        and feature_group_count == 1
        and precision is None
        and not any(kwargs.values())
        and all(tuple(s) == (1, 1) for s in (window_strides, lhs_dilation or (1, 1), rhs_dilation or (1, 1)))
        and dimension_numbers == jax.lax.conv_dimension_numbers(lhs.shape, rhs.shape, _NHWC)
    )
    if fast:
        return single_channel_conv(lhs, rhs)
    return jax.lax.conv_general_dilated(
        lhs,
        rhs,
        window_strides,
        padding,
        lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation,
        dimension_numbers=dimension_numbers,
        feature_group_count=feature_group_count,
        precision=precision,
        **kwargs,
    )
