"""A digit written on paper and photographed, read as MNIST would have it.

A photo is not a drawing: the paper is grey and unevenly lit, a shadow may cross it, it may be ruled,
the digit may be small in a large frame, and the camera adds blur and JPEG artefacts. ``photo_ink``
divides out the paper's own brightness (a grey closing that the ink is too thin to survive), keeps what
is clearly darker than the paper around it (a threshold from the image's own histogram) once ruled lines
are taken out, and keeps the main ink component with the strokes beside it. ``preprocess_photo`` then makes the
MNIST digit of it (``sketch.digit_from_ink``). Clean drawings and MNIST images pass through unharmed.

``synthetic_photo`` makes photo-like images of MNIST digits to measure all this on
(``scripts/photo_accuracy.py``).
"""
import io

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_flax.sketch import BlankSketchError, SketchError, digit_from_ink, float_image

WORK_SIDE = 384  # photos are read at this long side: the smallest digit kept is still larger than 20x20
SMALL = 128
PAPER_WINDOW = 1 / 4  # the closing that estimates the paper spans this share of the long side
MIN_CONTRAST = 0.12  # ink is at least this much darker than the paper around it
NEAR = 0.3  # strokes within this share of the main component's size beside it belong to the digit
MIN_PART = 0.04  # ... when they hold at least this share of its ink


def preprocess_photo(image) -> np.ndarray:
    """A photo of a digit on paper (a path, a file object, PIL image or array) -> (28, 28) uint8 digit."""
    return digit_from_ink(photo_ink(image))


def photo_ink(image) -> np.ndarray:
    """Ink in [0, 1] of a photo at ``WORK_SIDE``: only the digit's strokes, lighting and paper removed.
    Raises ``BlankSketchError`` when no ink stands out from the paper."""
    luminance = _luminance(image)
    window = max(5, int(PAPER_WINDOW * max(luminance.shape)))
    # Dark ink on paper, or light ink on a dark ground (a blackboard, an MNIST image): ink is the few pixels
    # far from their surroundings, so their sign skews the detail left once lighting is taken out.
    detail = luminance - ndimage.uniform_filter(luminance, window)
    darkness = _darkness(luminance, window) if np.mean(detail ** 3) <= 0 else _lightness(luminance, window)
    threshold = max(MIN_CONTRAST, _otsu(darkness))
    mask = darkness > threshold
    mask = _main_component(ndimage.binary_closing(mask, iterations=1) & (darkness > threshold / 2), darkness)
    if not mask.any():
        raise BlankSketchError("No digit found: nothing on the photo stands out from the paper.")
    ink_level = np.percentile(darkness[mask], 90)
    soft = ndimage.binary_dilation(mask, iterations=1)  # keep the anti-aliased edge of each stroke
    return np.clip((darkness - threshold / 2) / max(ink_level - threshold / 2, 1e-3), 0, 1) * soft


def _darkness(luminance: np.ndarray, window: int) -> np.ndarray:
    """How much darker each pixel is than the paper around it (0..1), ruled lines taken out."""
    paper = ndimage.grey_closing(luminance, size=(window, window))  # the ink is thinner than the window
    return _without_lines(np.clip(1 - luminance / np.maximum(paper, 1e-3), 0, 1))


def _lightness(luminance: np.ndarray, window: int) -> np.ndarray:
    """How much lighter each pixel is than the dark ground around it (0..1), ruled lines taken out."""
    return _without_lines(luminance - ndimage.grey_opening(luminance, size=(window, window)))


def _without_lines(ink: np.ndarray) -> np.ndarray:
    """A ruled line inks at least 80% of its row (a margin, of its column); a digit less of any."""
    lines = np.percentile(ink, 20, axis=1, keepdims=True) + np.percentile(ink, 20, axis=0, keepdims=True)
    return np.clip(ink - lines, 0, 1)


def _luminance(image) -> np.ndarray:
    x = float_image(image)
    if x.ndim == 3 and x.shape[2] == 4:  # a transparent background reads as white paper
        x = x[:, :, :3] * x[:, :, 3:] + (1 - x[:, :, 3:])
    luminance = x if x.ndim == 2 else x[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    if min(luminance.shape) < 2:
        raise SketchError(f"a {luminance.shape[1]}x{luminance.shape[0]} image is too small to hold a digit")
    factor = max(luminance.shape) / WORK_SIDE
    if max(luminance.shape) < SMALL:  # small images are enlarged: the closing needs room
        factor = max(luminance.shape) / SMALL
    if factor > 1 or max(luminance.shape) < SMALL:
        size = (max(1, round(luminance.shape[1] / factor)), max(1, round(luminance.shape[0] / factor)))
        luminance = np.asarray(Image.fromarray(luminance.astype(np.float32), mode="F").resize(
            size, Image.Resampling.BOX))
    return luminance.astype(np.float32)


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
    inside = [i for i, (rows, cols) in enumerate(boxes)  # the closing before may have eaten a pixel at the edge
              if rows.start > 1 and cols.start > 1 and rows.stop < height - 1 and cols.stop < width - 1]
    candidates = inside or list(range(count))
    main = max(candidates, key=lambda i: mass[i])
    top, left = boxes[main][0].start, boxes[main][1].start
    bottom, right = boxes[main][0].stop, boxes[main][1].stop
    margin = NEAR * max(bottom - top, right - left)
    keep = [main] + [i for i in candidates if i != main and mass[i] >= MIN_PART * mass[main]
                     and boxes[i][0].start < bottom + margin and boxes[i][0].stop > top - margin
                     and boxes[i][1].start < right + margin and boxes[i][1].stop > left - margin]
    return np.isin(labels, np.array(keep) + 1)


def synthetic_photo(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8: an MNIST digit as if written on paper and photographed with a phone: grey or
    tinted paper with texture, uneven light and sometimes a shadow, ruled lines on half of them, the
    digit at 10-60% of the short side anywhere in the frame, blur, sensor noise, JPEG compression."""
    height, width = [(480, 640), (720, 960), (600, 600), (960, 720)][rng.integers(4)]
    paper = rng.uniform(0.55, 0.97) * (1 - rng.uniform(0, 0.08, 3))  # grey or slightly tinted
    texture = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)), 8) * rng.uniform(0.5, 3)
    page = np.ones((height, width, 3), np.float32) * paper * (1 + 0.03 * texture[..., None])
    if rng.random() < 0.5:  # ruled paper: light blue lines, sometimes a red margin
        spacing, thickness = int(rng.integers(24, 48)), int(rng.integers(1, 4))
        colour = np.array([0.55, 0.7, 0.95]) * rng.uniform(0.75, 1.0)
        for y in range(int(rng.integers(0, spacing)), height, spacing):
            page[y: y + thickness] *= colour
        if rng.random() < 0.3:
            x = int(rng.integers(width // 10, width // 4))
            page[:, x: x + thickness + 1] *= np.array([0.95, 0.55, 0.55])
    side = int(rng.uniform(0.1, 0.6) * min(height, width))
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    pen = np.array([0.1, 0.1, 0.25]) * rng.uniform(0, 1) if rng.random() < 0.4 else np.full(3, rng.uniform(0, 0.2))
    strength = rng.uniform(0.7, 1.0)
    region = page[top: top + side, left: left + side]
    page[top: top + side, left: left + side] = region * (1 - strength * ink[..., None]) + \
        pen * strength * ink[..., None] * region
    ys, xs = np.mgrid[0:height, 0:width] / max(height, width)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xs + np.sin(angle) * ys
    light = 1 - rng.uniform(0.1, 0.5) * (ramp - ramp.min()) / np.ptp(ramp)
    if rng.random() < 0.4:  # a shadow with a soft edge across the page
        edge = np.cos(angle + 1.0) * xs + np.sin(angle + 1.0) * ys - rng.uniform(0.2, 0.8)
        light *= 1 - rng.uniform(0.2, 0.45) / (1 + np.exp(-edge * rng.uniform(30, 200)))
    page = page * light[..., None]
    page = ndimage.gaussian_filter(page, (rng.uniform(0, 2.5), rng.uniform(0, 2.5), 0))
    page = np.clip(page + rng.normal(0, rng.uniform(0.005, 0.03), page.shape), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray(np.round(page * 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(30, 90)))
    return np.asarray(Image.open(buffer).convert("RGB"))


def synthetic_photos(images: np.ndarray, seed: int = 0):
    """``synthetic_photo`` of each of ``images``, one at a time (each is about a megabyte)."""
    rng = np.random.default_rng(seed)
    for image in images:
        yield synthetic_photo(image, rng)
