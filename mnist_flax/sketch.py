"""Turns a drawing from a browser canvas into a digit in MNIST's own format.

MNIST digits were made by fitting each digit's bounding box into 20x20 pixels
(keeping the aspect ratio, anti-aliased) and placing that in a 28x28 field with
its centre of mass at the centre. A browser canvas is nothing like that: any
size (HiDPI canvases are larger), the digit anywhere, any stroke width, dark ink
on white or strokes on a transparent layer. ``preprocess_sketch`` redoes MNIST's
steps on whatever it is given, so the models see what they were trained on.
"""
import numpy as np
from PIL import Image, ImageFilter

BOX = 20  # the digit's bounding box is scaled to fit BOX x BOX
SIZE = 28
MIN_INK_PIXELS = 0.0005  # below this fraction of the canvas, it is blank
MAX_PIXELS = 50_000_000


class SketchError(ValueError):
    """The input is not an image we can read; the message says why."""


class BlankSketchError(SketchError):
    """The canvas holds no digit (nothing drawn, or a uniform image)."""


def _as_array(image) -> np.ndarray:
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA") if image.mode in ("P", "LA", "PA") else image)
    if not isinstance(image, np.ndarray):
        raise SketchError(f"expected an image (numpy array, PIL image or Sketchpad value), got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SketchError(f"expected an H x W grayscale, RGB or RGBA image, got shape {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise SketchError(f"image of {image.shape[1]}x{image.shape[0]} pixels is too large")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if np.issubdtype(image.dtype, np.bool_) or np.issubdtype(image.dtype, np.number):
        image = np.nan_to_num(image.astype(np.float32))
        return image / 255.0 if image.max() > 1.0 else image
    raise SketchError(f"unsupported pixel type {image.dtype}")


def ink_map(image) -> np.ndarray:
    """Ink intensity in [0, 1], from alpha where strokes lie on transparency, else from luminance
    with the background's polarity (dark on light or light on dark) read off the image's border."""
    x = _as_array(image)
    if x.ndim == 3 and x.shape[2] == 4 and x[:, :, 3].min() < 0.98:
        return x[:, :, 3]
    luminance = x if x.ndim == 2 else x[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    border = np.concatenate([luminance[0], luminance[-1], luminance[:, 0], luminance[:, -1]])
    background = float(np.median(border))
    ink = background - luminance if background > 0.5 else luminance - background
    return np.clip(ink, 0.0, 1.0)


def sketchpad_value(composite, layers=(), background=None) -> dict:
    """The value Gradio's Sketchpad sends: the flattened image (``composite``), the stroke
    layers (RGBA, ink = alpha) and the background; file paths or arrays alike."""
    return {"background": background, "layers": list(layers), "composite": composite}


def _sketchpad_ink(value: dict) -> np.ndarray:
    """The Gradio Sketchpad value: strokes are the layers' alpha; without layers, the composite."""
    layers = [layer for layer in value.get("layers") or [] if layer is not None]
    if layers:
        return np.max([ink_map(_rgba(layer)) for layer in layers], axis=0)
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return ink_map(value[key])
    raise BlankSketchError("Draw a digit: the canvas is empty.")


def _rgba(layer):
    x = np.asarray(layer)
    if x.ndim == 3 and x.shape[2] == 4:  # a stroke layer: transparent where nothing is drawn
        alpha = x[:, :, 3]
        return np.dstack([np.zeros_like(x[:, :, :3]), alpha[..., None]]) if alpha.min() < 250 else x
    return x


def preprocess_sketch(sketch) -> np.ndarray:
    """A Sketchpad value (dict), numpy array or PIL image -> (28, 28) uint8 digit, white ink on black.

    Raises ``BlankSketchError`` when nothing is drawn and ``SketchError`` for unreadable input.
    """
    if sketch is None:
        raise BlankSketchError("Draw a digit: the canvas is empty.")
    ink = _sketchpad_ink(sketch) if isinstance(sketch, dict) else ink_map(sketch)
    if ink.shape[0] < 2 or ink.shape[1] < 2:
        raise SketchError(f"a {ink.shape[1]}x{ink.shape[0]} image is too small to hold a digit")
    peak = float(ink.max())
    mask = ink > 0.2 * peak
    if peak < 0.1 or mask.mean() < MIN_INK_PIXELS:
        raise BlankSketchError("Draw a digit: the canvas is blank.")
    if mask.mean() > 0.9:
        raise BlankSketchError("Draw a digit: the canvas is filled with one colour.")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1] / peak
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))
    digit = np.clip(digit / max(float(np.percentile(digit[digit > 0], 99)) if (digit > 0).any() else 1.0, 1e-6), 0, 1)
    return _centre_of_mass_in_field(digit)


def _centre_of_mass_in_field(digit: np.ndarray) -> np.ndarray:
    h, w = digit.shape
    ys, xs = np.indices(digit.shape)
    total = digit.sum()
    cy, cx = (ys * digit).sum() / total, (xs * digit).sum() / total
    top = int(np.clip(round(SIZE / 2 - cy), 0, SIZE - h))
    left = int(np.clip(round(SIZE / 2 - cx), 0, SIZE - w))
    field = np.zeros((SIZE, SIZE), np.float32)
    field[top: top + h, left: left + w] = digit
    return np.round(field * 255).astype(np.uint8)


def simulate_drawing(digit: np.ndarray, rng: np.random.Generator, as_layer: bool | None = None) -> dict:
    """A browser-like drawing of an MNIST digit, as the Sketchpad would send it.

    The digit is enlarged onto a large canvas (HiDPI sizes too) at a random position
    and size, its strokes thickened, and sent either as dark ink on a white composite
    or as strokes on a transparent layer. Used to measure how well drawings are read.
    """
    height, width = rng.choice([(336, 336), (672, 672), (600, 800)])
    size = int(rng.uniform(0.3, 0.8) * min(height, width))
    big = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    thickness = int(rng.integers(0, max(2, size // 25))) * 2 + 1
    ink = np.asarray(big.filter(ImageFilter.MaxFilter(thickness)) if thickness > 1 else big)
    top, left = rng.integers(0, height - size + 1), rng.integers(0, width - size + 1)
    alpha = np.zeros((height, width), np.uint8)
    alpha[top: top + size, left: left + size] = ink
    layer = np.zeros((height, width, 4), np.uint8)
    layer[..., 3] = alpha
    composite = np.repeat((255 - alpha)[..., None], 3, -1)
    as_layer = bool(rng.integers(2)) if as_layer is None else as_layer
    return sketchpad_value(composite, [layer] if as_layer else [])


def naive_resize(sketch) -> np.ndarray:
    """What naive demos do, for comparison: the whole canvas resized to 28x28 and inverted."""
    composite = sketch["composite"] if isinstance(sketch, dict) else sketch
    gray = Image.fromarray(np.asarray(composite)[..., :3].astype(np.uint8)).convert("L")
    return 255 - np.asarray(gray.resize((SIZE, SIZE), Image.Resampling.BILINEAR))
