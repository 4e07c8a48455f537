"""Reads the digit in whatever image people and agents send, as MNIST would have it: ``read(image)``.

MNIST digits were made by fitting each digit's bounding box into 20x20 pixels (keeping the aspect ratio,
anti-aliased) and placing that in a 28x28 field with its centre of mass at the centre. What arrives is
nothing like that, and it comes in three kinds, each read its own way, in this order:

1. **The pixels**, with bounded memory: a file refused above ``MAX_PIXELS`` from its header, any image
   reduced to ``WORK_SIDE`` before a float copy is made; floats of 0..255 are read as such.
2. **The kind** (``kind_of``):
   - ``"mnist"``: a 28x28 grey image of light ink on a black ground, the ink within 20x20, as MNIST's own
     files are: taken as it is, so a file gets the answer its array gets;
   - ``"drawing"``: a clean image, a flat ground and ink of one colour (a canvas, a scan, a tight crop, an
     enlarged low-resolution digit, strokes on a transparent layer), whatever the colours or polarity;
   - ``"photo"``: a photo of paper, whose ground varies with light, shadow, texture and noise.
3. **The ink** in [0, 1]: for a drawing, how far each pixel's colour lies from the ground's (all of it:
   a stroke that spans the image is the digit, and two digits side by side stay two); for a photo,
   ``photo_ink``: lighting divided out, ruled lines taken out unless they are all the ink there is, the
   main piece of ink kept.
4. **The digit** (``digit_from_ink``): cropped, smoothed in proportion to its size (blocky enlargements
   of small bitmaps lose their blocks), scaled to fit 20x20 and centred by its centre of mass.
"""

import dataclasses
import io
import os

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

BOX = 20  # the digit's bounding box is scaled to fit BOX x BOX
SIZE = 28
MIN_INK_PIXELS = 0.0005  # below this fraction of the image, it is blank
MAX_PIXELS = 4096 * 4096  # larger images are refused from their header, before they are decoded
WORK_SIDE = 1024  # images are reduced to at most this long side before any float copy is made
LUMINANCE = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as PIL's "L" mode
CLEAN = 0.57  # in a clean image, this share of the pixels near its commonest grey is exactly that grey
MIN_STROKE = 2.0  # strokes thinner than this (pixels of the 20x20 box) are thickened: MNIST's are 2-5
SMOOTHING = 0.35  # Gaussian sigma, in pixels of the 20x20 box, before the digit is reduced to it
PHOTO_SIDE = 384  # photos are read at this long side: the smallest digit kept is still larger than 20x20
PHOTO_MIN_SIDE = 128  # smaller photos are enlarged to it: the paper's closing needs room
PAPER_WINDOW = 1 / 4  # the closing that estimates the paper spans this share of the long side
LINE_WIDTH = 0.02  # a ruled line is at most this share of the photo's side thick
MIN_CONTRAST = 0.12  # a photo's ink is at least this much darker than the paper around it
NEAR = 0.3  # strokes within this share of the main component's size beside it belong to the digit
MIN_PART = 0.04  # ... when they hold at least this share of its ink
MIN_INSIDE = 0.3  # ink clear of the photo's edges is the digit when it holds this share of the largest piece
KINDS = ("mnist", "drawing", "photo")


class SketchError(ValueError):
    """The input is not an image we can read; the message says why."""


class BlankSketchError(SketchError):
    """The image holds no digit (nothing drawn, or a uniform image)."""


@dataclasses.dataclass(frozen=True)
class Reading:
    """What ``read`` made of an image: the (28, 28) uint8 ``digit`` (white on black), the ``kind`` of
    image it took it for (one of ``KINDS``) and the ``ink`` it found, (H, W) in [0, 1]."""

    digit: np.ndarray
    kind: str
    ink: np.ndarray


def read(image) -> Reading:
    """An image (a path, file object, bytes, PIL image or array) -> its digit, kind and ink.

    Raises ``BlankSketchError`` when it holds no digit and ``SketchError`` for unreadable input."""
    if image is None:
        raise BlankSketchError("No digit found: there is no image.")
    x = pixels(image)
    kind = kind_of(x)
    if kind == "mnist":
        ink = luminance(x)
        return Reading(np.round(ink * 255).astype(np.uint8), kind, ink)
    ink = drawing_ink(x) if kind == "drawing" else photo_ink(x)
    return Reading(digit_from_ink(ink), kind, ink)


def read_digit(image) -> np.ndarray:
    """The (28, 28) uint8 digit of an image, white on black, as the models take it (``read``)."""
    return read(image).digit


# ------------------------------------------------------------------------------------------- 1. pixels


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


def pixels(image) -> np.ndarray:
    """An image (array, PIL image, path, file object or bytes) as float32 in [0, 1]: (H, W), (H, W, 3)
    or (H, W, 4), read with bounded memory; numbers above 1 are taken as 0..255."""
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
        raise SketchError(f"expected an image (numpy array, PIL image or file path), got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SketchError(f"expected an H x W grayscale, RGB or RGBA image, got shape {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise SketchError(
            f"a {image.shape[1]}x{image.shape[0]} image is too large: at most {MAX_PIXELS:,} pixels (4096x4096)"
        )
    if min(image.shape[:2]) < 2:
        raise SketchError(f"a {image.shape[1]}x{image.shape[0]} image is too small to hold a digit")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if np.issubdtype(image.dtype, np.bool_) or np.issubdtype(image.dtype, np.number):
        image = np.nan_to_num(image.astype(np.float32))
        return np.clip(image / 255.0 if image.max() > 1.0 else image, 0, 1)
    raise SketchError(f"unsupported pixel type {image.dtype}")


def luminance(x: np.ndarray) -> np.ndarray:
    """(H, W) luminance of pixels from ``pixels``; a transparent ground reads as white paper."""
    return x if x.ndim == 2 else _on_white(x) @ LUMINANCE


def _on_white(x: np.ndarray) -> np.ndarray:
    """(H, W, 3) colour pixels from ``pixels``, an RGBA image laid on white paper."""
    return x[:, :, :3] * x[:, :, 3:] + (1 - x[:, :, 3:]) if x.shape[2] == 4 else x


def _border(a: np.ndarray) -> np.ndarray:
    """The pixels of an image's outermost ring (an image's ground, mostly, even when a digit touches it)."""
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


# --------------------------------------------------------------------------------------------- 2. kind


def kind_of(x: np.ndarray) -> str:
    """Which of ``KINDS`` the pixels ``x`` (from ``pixels``) hold."""
    if x.shape[:2] == (SIZE, SIZE) and _is_mnist(x):
        return "mnist"
    if _strokes_on_transparency(x):
        return "drawing"
    return "drawing" if _flatness(luminance(x)) >= CLEAN else "photo"


def _is_mnist(x: np.ndarray) -> bool:
    """Grey, light ink on a black ground, the ink within a 20x20 box: MNIST's own format."""
    if x.ndim == 3 and (x.shape[2] == 4 and x[:, :, 3].min() < 1 or np.ptp(x[:, :, :3], axis=2).max() > 0.05):
        return False
    grey = x if x.ndim == 2 else x[:, :, 0]
    rows, cols = np.flatnonzero(grey.max(1) > 0.25), np.flatnonzero(grey.max(0) > 0.25)
    return (
        float(np.median(grey)) <= 0.1
        and len(rows) > 0
        and rows[-1] - rows[0] < BOX + 1
        and cols[-1] - cols[0] < BOX + 1
    )


def _strokes_on_transparency(x: np.ndarray) -> bool:
    return x.ndim == 3 and x.shape[2] == 4 and float(x[:, :, 3].min()) < 0.98 and float(np.median(x[:, :, 3])) < 0.5


def _flatness(grey: np.ndarray) -> float:
    """The share of the pixels within 12 grey levels of the image's commonest grey that lie within one
    level of it: near 1 for a clean image (its ground is one grey, even after JPEG), far less for a photo
    (light, texture and noise spread the paper's greys)."""
    counts = np.bincount(np.round(grey * 255).astype(np.int64).ravel(), minlength=256)
    common = int(counts.argmax())
    return counts[max(0, common - 1) : common + 2].sum() / counts[max(0, common - 12) : common + 13].sum()


def _ground_distance(x: np.ndarray) -> np.ndarray:
    """(H, W) how far each pixel's colour lies from the ground's: the commonest colour of the border
    (a digit's ink, even cropped tight, holds less of the border than the ground does)."""
    rgb = x[:, :, None] if x.ndim == 2 else _on_white(x)
    border = _border(rgb)
    bins = np.round(border * 31).astype(np.int64) @ (32 ** np.arange(border.shape[1]))
    _, index = np.unique(bins, return_inverse=True)
    ground = border[index == np.bincount(index).argmax()].mean(0)
    return np.abs(rgb - ground).max(axis=2)


# ---------------------------------------------------------------------------------------------- 3. ink


def drawing_ink(x: np.ndarray) -> np.ndarray:
    """Ink of a clean image in [0, 1]: the alpha of strokes on a transparent layer, else each pixel's
    colour distance from the ground's (any colours, either polarity)."""
    if _strokes_on_transparency(x):
        return x[:, :, 3]
    return _ground_distance(x)


def photo_ink(x: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] of a photo of paper (pixels from ``pixels``) at ``PHOTO_SIDE``: only the digit's
    strokes, lighting and paper removed. Raises ``BlankSketchError`` when no ink stands out."""
    grey = _photo_scale(luminance(x))
    window = max(5, int(PAPER_WINDOW * max(grey.shape)))
    # Dark ink on paper, unless the image says light ink on a dark ground (a blackboard) both ways: the
    # ink, the few pixels far from their surroundings, skews the detail left once lighting is out; and
    # the border, even of a digit cropped tight, is mostly ground, on the ground's side of the greys.
    light_ink = np.mean((grey - ndimage.uniform_filter(grey, window)) ** 3) > 0 and np.median(_border(grey)) < np.mean(
        np.percentile(grey, [2, 98])
    )
    if not light_ink:
        paper = ndimage.grey_closing(grey, size=(window, window))  # the ink is thinner than the window
        contrast = np.clip(1 - grey / np.maximum(paper, 1e-3), 0, 1)
    else:
        contrast = grey - ndimage.grey_opening(grey, size=(window, window))
    darkness = _without_lines(contrast)
    threshold = max(MIN_CONTRAST, _otsu(darkness))
    mask = darkness > threshold
    mask = _main_component(ndimage.binary_closing(mask, iterations=1) & (darkness > threshold / 2), darkness)
    if not mask.any():
        raise BlankSketchError("No digit found: nothing on the photo stands out from the paper.")
    ink_level = np.percentile(darkness[mask], 90)
    soft = ndimage.binary_dilation(mask, iterations=1)  # keep the anti-aliased edge of each stroke
    return np.clip((darkness - threshold / 2) / max(ink_level - threshold / 2, 1e-3), 0, 1) * soft


def _photo_scale(grey: np.ndarray) -> np.ndarray:
    long_side = max(grey.shape)
    target = PHOTO_MIN_SIDE if long_side < PHOTO_MIN_SIDE else min(long_side, PHOTO_SIDE)
    if target == long_side:
        return grey.astype(np.float32)
    size = (max(1, round(grey.shape[1] * target / long_side)), max(1, round(grey.shape[0] * target / long_side)))
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))


def _without_lines(ink: np.ndarray) -> np.ndarray:
    """``ink`` less ruled lines: thin rows that ink at least 80% of their length (columns: a margin), where
    there are several, as on ruled paper. A digit's strokes are thicker, and one such stroke alone is
    the digit's own (a tall 1), as is everything when taking the lines out would leave almost nothing."""
    without = ink
    for axis in (1, 0):
        lines = np.percentile(ink, 20, axis=axis, keepdims=True)
        runs, count = ndimage.label(lines.ravel() > MIN_CONTRAST / 2)
        thin = [
            i
            for i, (run,) in enumerate(ndimage.find_objects(runs), 1)
            if run.stop - run.start <= max(2, LINE_WIDTH * ink.shape[1 - axis])
        ]
        if len(thin) >= 2:
            without = np.clip(without - lines * np.isin(runs, thin).reshape(lines.shape), 0, 1)
    return without if without.sum() >= 0.25 * ink.sum() else ink


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits ``values`` in [0, 1] into two classes (Otsu's method)."""
    counts, edges = np.histogram(values, 256, (0, 1))
    weights = counts.cumsum() / counts.sum()
    means = (counts * edges[:-1]).cumsum() / counts.sum()
    between = (means[-1] * weights - means) ** 2 / np.maximum(weights * (1 - weights), 1e-12)
    return float(edges[np.argmax(between[:-1]) + 1])


def _main_component(mask: np.ndarray, darkness: np.ndarray) -> np.ndarray:
    """The connected piece of ink with the most ink, and the pieces beside it large enough to be strokes.
    Pieces that touch the photo's edge (a shadow in a corner, the table beyond the page) come last."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        return mask
    mass = ndimage.sum(darkness, labels, np.arange(1, count + 1))
    boxes = ndimage.find_objects(labels)
    height, width = mask.shape
    inside = [
        i
        for i, (rows, cols) in enumerate(boxes)  # the closing before may have eaten a pixel at the edge
        if rows.start > 1 and cols.start > 1 and rows.stop < height - 1 and cols.stop < width - 1
    ]
    if not inside or max(mass[i] for i in inside) < MIN_INSIDE * mass.max():
        inside = list(range(count))  # a digit cropped tight touches the edges
    candidates = inside
    main = max(candidates, key=lambda i: mass[i])
    top, left = boxes[main][0].start, boxes[main][1].start
    bottom, right = boxes[main][0].stop, boxes[main][1].stop
    margin = NEAR * max(bottom - top, right - left)
    keep = [main] + [
        i
        for i in candidates
        if i != main
        and mass[i] >= MIN_PART * mass[main]
        and boxes[i][0].start < bottom + margin
        and boxes[i][0].stop > top - margin
        and boxes[i][1].start < right + margin
        and boxes[i][1].stop > left - margin
    ]
    return np.isin(labels, np.array(keep) + 1)


# -------------------------------------------------------------------------------------------- 4. digit


def digit_from_ink(ink: np.ndarray) -> np.ndarray:
    """Ink intensities (H, W) in [0, 1] -> (28, 28) uint8 digit, the way MNIST was made: cropped,
    smoothed, scaled to fit 20x20 with anti-aliasing, centred by its centre of mass."""
    ink = np.asarray(ink, np.float32)
    if ink.ndim != 2:
        raise SketchError(f"expected an H x W ink map, got shape {ink.shape}")
    if ink.shape[0] < 2 or ink.shape[1] < 2:
        raise SketchError(f"a {ink.shape[1]}x{ink.shape[0]} image is too small to hold a digit")
    peak = float(ink.max())
    mask = ink > 0.2 * peak
    if peak < 0.1 or mask.mean() < MIN_INK_PIXELS:
        raise BlankSketchError("No digit found: the image is blank.")
    if mask.mean() > 0.9:
        raise BlankSketchError("No digit found: the image is filled with one colour.")
    crop = _cropped(ink, mask) / peak
    width = _stroke_width(crop > 0.5) * BOX / max(crop.shape)
    if width < MIN_STROKE:  # a thin pen: thickened to MNIST's thinnest strokes, as if drawn with a wider one
        grow = (MIN_STROKE - width) / 2 * max(crop.shape) / BOX
        crop = np.pad(crop, int(np.ceil(grow)) + 1)
        crop = np.maximum(crop, np.clip(grow + 0.5 - ndimage.distance_transform_edt(crop <= 0.5), 0, 1))
        crop = _cropped(crop, crop > 0.2)
    factor = max(crop.shape) // (8 * BOX)  # far larger than the box: reduced first, the same digit for less work
    if factor > 1:
        crop = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").reduce(factor))
    h, w = crop.shape
    scale = BOX / max(h, w)
    if SMOOTHING and scale < 1:
        crop = ndimage.gaussian_filter(np.pad(crop, 2), SMOOTHING / scale, mode="constant")[2:-2, 2:-2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))
    digit = np.clip(digit / max(float(np.percentile(digit[digit > 0], 99)) if (digit > 0).any() else 1.0, 1e-6), 0, 1)
    return _centre_of_mass_in_field(digit)


def _cropped(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _stroke_width(mask: np.ndarray) -> float:
    """The mean width of the strokes in ``mask``, in pixels: twice their area over their outline."""
    outline = mask & ~ndimage.binary_erosion(mask)
    return 2 * float(mask.sum()) / max(float(outline.sum()), 1.0)


def _centre_of_mass_in_field(digit: np.ndarray) -> np.ndarray:
    h, w = digit.shape
    ys, xs = np.indices(digit.shape)
    total = digit.sum()
    cy, cx = (ys * digit).sum() / total, (xs * digit).sum() / total
    top = int(np.clip(round(SIZE / 2 - cy), 0, SIZE - h))
    left = int(np.clip(round(SIZE / 2 - cx), 0, SIZE - w))
    field = np.zeros((SIZE, SIZE), np.float32)
    field[top : top + h, left : left + w] = digit
    return np.round(field * 255).astype(np.uint8)
