"""The project's own inputs, to train and tune on: drawings, photos, crops and low-resolution copies of
MNIST digits, as people send them. (The battery that measures the reader is built apart, in ``battery``,
and the non-digits in ``non_digits``.)"""
import io

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_flax.reader import read_digit


def simulate_drawing(digit: np.ndarray, rng: np.random.Generator, as_layer: bool | None = None) -> np.ndarray:
    """A browser-like drawing of an MNIST digit: the digit enlarged onto a large canvas (HiDPI sizes too) at
    a random position and size, its strokes thickened, as dark ink on white (H, W, 3) or as strokes on a
    transparent layer (H, W, 4; ``as_layer``, random when None)."""
    height, width = rng.choice([(336, 336), (672, 672), (600, 800)])
    size = int(rng.uniform(0.3, 0.8) * min(height, width))
    big = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    thickness = int(rng.integers(0, max(2, size // 25))) * 2 + 1
    ink = ndimage.maximum_filter(np.asarray(big), thickness)  # PIL's MaxFilter, in O(thickness) per pixel
    top, left = rng.integers(0, height - size + 1), rng.integers(0, width - size + 1)
    alpha = np.zeros((height, width), np.uint8)
    alpha[top: top + size, left: left + size] = ink
    layer = np.zeros((height, width, 4), np.uint8)
    layer[..., 3] = alpha
    composite = np.repeat((255 - alpha)[..., None], 3, -1)
    as_layer = bool(rng.integers(2)) if as_layer is None else as_layer
    return layer if as_layer else composite


def drawn_digits(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 28, 28) uint8: MNIST digits drawn in a browser-like way (``simulate_drawing``) and read back
    by the reader, as the app reads visitors' drawings."""
    rng = np.random.default_rng(seed)
    return np.stack([read_digit(simulate_drawing(image, rng)) for image in images])


def tight_crop(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8: a digit cut out at its ink, at most two pixels of margin, enlarged 3-8 times, dark on white."""
    rows, cols = np.flatnonzero(digit.max(1) > 40), np.flatnonzero(digit.max(0) > 40)
    margin = int(rng.integers(0, 3))
    crop = np.pad(digit, margin)[rows[0]: rows[-1] + 1 + 2 * margin, cols[0]: cols[-1] + 1 + 2 * margin]
    factor = rng.uniform(3, 8)
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    return 255 - np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))


def low_resolution(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8: a digit reduced to 7-14 pixels a side and enlarged to 100-300, blocky or blurry."""
    side = int(rng.integers(7, 15))
    small = Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)
    size = int(rng.integers(100, 301))
    method = Image.Resampling.NEAREST if rng.random() < 0.5 else Image.Resampling.BILINEAR
    return 255 - np.asarray(small.resize((size, size), method))


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
