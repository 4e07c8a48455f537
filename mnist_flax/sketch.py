"""Turns a drawing from a browser canvas into a digit in MNIST's own format.

MNIST digits were made by fitting each digit's bounding box into 20x20 pixels
(keeping the aspect ratio, anti-aliased) and placing that in a 28x28 field with
its centre of mass at the centre. A browser canvas is nothing like that: any
size (HiDPI canvases are larger), the digit anywhere, any stroke width, dark ink
on white or strokes on a transparent layer. ``preprocess_sketch`` redoes MNIST's
steps on whatever it is given, so the models see what they were trained on.
"""
import io
import os

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.ndimage import maximum_filter

BOX = 20  # the digit's bounding box is scaled to fit BOX x BOX
SIZE = 28
MIN_INK_PIXELS = 0.0005  # below this fraction of the canvas, it is blank
MAX_PIXELS = 4096 * 4096  # larger images are refused from their header, before they are decoded
WORK_SIDE = 1024  # images are reduced to at most this long side before any float copy is made


class SketchError(ValueError):
    """The input is not an image we can read; the message says why."""


class BlankSketchError(SketchError):
    """The canvas holds no digit (nothing drawn, or a uniform image)."""


def read_image(source) -> Image.Image:
    """An image file (a path, a file object or bytes) read with bounded memory: refused above
    ``MAX_PIXELS`` from its header alone (decompression bombs too), and reduced to ``WORK_SIDE``
    while or right after it is decoded. Anything that is not an image raises ``SketchError``."""
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    except FileNotFoundError:
        raise SketchError(f"no such image file: {source}") from None
    except Image.DecompressionBombError:
        raise SketchError(f"the image is far too large: at most {MAX_PIXELS:,} pixels (4096x4096)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise SketchError("that file is not an image: send a PNG, JPEG, WebP, GIF or BMP") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise SketchError(f"a {width}x{height} image is too large: at most {MAX_PIXELS:,} pixels (4096x4096)")
    factor = -(-max(width, height) // WORK_SIDE)
    if factor > 1:
        image.draft(image.mode, (width // factor, height // factor))  # JPEG decodes at the reduced size
    try:
        return _reduced(image)
    except (OSError, ValueError) as e:  # truncated or corrupt data, found while decoding
        raise SketchError(f"the image could not be decoded ({e})") from None


def _reduced(image: Image.Image) -> Image.Image:
    """``image`` with its long side at most ``WORK_SIDE`` (box-averaged), in a mode numpy reads directly."""
    if image.mode not in ("L", "RGB", "RGBA", "F"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    factor = -(-max(image.size) // WORK_SIDE)
    return image.reduce(factor) if factor > 1 else image


def float_image(image) -> np.ndarray:
    """An image (array, PIL image, path, file object or bytes) as float32 in [0, 1], read with bounded memory."""
    if isinstance(image, (str, os.PathLike, bytes, bytearray)) or hasattr(image, "read"):
        image = read_image(image)
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and max(image.shape[:2], default=0) > WORK_SIDE:
        try:
            image = Image.fromarray(image)  # reduced below, before the float copy
        except TypeError:
            pass  # a shape PIL cannot take: refused below
    if isinstance(image, Image.Image):
        image = np.asarray(_reduced(image))
    if not isinstance(image, np.ndarray):
        raise SketchError(f"expected an image (numpy array, PIL image, file path or Sketchpad value), got "
                          f"{type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SketchError(f"expected an H x W grayscale, RGB or RGBA image, got shape {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise SketchError(f"a {image.shape[1]}x{image.shape[0]} image is too large: at most {MAX_PIXELS:,} pixels "
                          "(4096x4096)")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if np.issubdtype(image.dtype, np.bool_) or np.issubdtype(image.dtype, np.number):
        image = np.nan_to_num(image.astype(np.float32))
        return image / 255.0 if image.max() > 1.0 else image
    raise SketchError(f"unsupported pixel type {image.dtype}")


def ink_map(image) -> np.ndarray:
    """Ink intensity in [0, 1], from alpha where strokes lie on transparency, else from luminance
    with the background's polarity (dark on light or light on dark) read off the image's border."""
    x = float_image(image)
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
    x = np.asarray(read_image(layer) if isinstance(layer, (str, os.PathLike)) else layer)
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
    return digit_from_ink(_sketchpad_ink(sketch) if isinstance(sketch, dict) else ink_map(sketch))


def digit_from_ink(ink: np.ndarray) -> np.ndarray:
    """Ink intensities (H, W) in [0, 1] -> (28, 28) uint8 digit, the way MNIST was made: cropped,
    scaled to fit 20x20 with anti-aliasing, centred by its centre of mass."""
    ink = np.asarray(ink, np.float32)
    if ink.ndim != 2:
        raise SketchError(f"expected an H x W ink map, got shape {ink.shape}")
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
    ink = maximum_filter(np.asarray(big), thickness)  # PIL's MaxFilter, in O(thickness) per pixel
    top, left = rng.integers(0, height - size + 1), rng.integers(0, width - size + 1)
    alpha = np.zeros((height, width), np.uint8)
    alpha[top: top + size, left: left + size] = ink
    layer = np.zeros((height, width, 4), np.uint8)
    layer[..., 3] = alpha
    composite = np.repeat((255 - alpha)[..., None], 3, -1)
    as_layer = bool(rng.integers(2)) if as_layer is None else as_layer
    return sketchpad_value(composite, [layer] if as_layer else [])


def drawn_digits(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 28, 28) uint8: MNIST digits drawn in a browser-like way (``simulate_drawing``) and read back
    by ``preprocess_sketch``, as the app reads visitors' drawings."""
    rng = np.random.default_rng(seed)
    return np.stack([preprocess_sketch(simulate_drawing(image, rng)) for image in images])


def naive_resize(sketch) -> np.ndarray:
    """What naive demos do, for comparison: the whole canvas resized to 28x28 and inverted."""
    composite = sketch["composite"] if isinstance(sketch, dict) else sketch
    gray = Image.fromarray(np.asarray(composite)[..., :3].astype(np.uint8)).convert("L")
    return 255 - np.asarray(gray.resize((SIZE, SIZE), Image.Resampling.BILINEAR))
