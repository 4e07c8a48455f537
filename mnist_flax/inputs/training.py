"""The project's own inputs, to train the judge and to test with: drawings, photos, crops and low-resolution
copies of MNIST digits as people send them, and drawings that are not digits (letters typed in a font,
random-walk scribbles, letters and symbols drawn as pen strokes, shapes and faces, hatching, spirals, and
MNIST digits two or three in a row, each drawn on a large canvas and read as the app reads a drawing).
The battery that measures the reader and the judge is built apart, in ``battery``.
"""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from mnist_flax.reader import digit_from_ink, read_digit


def drawn_ink(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8 ink (255 = ink) of an MNIST digit drawn in a browser: the digit enlarged onto a large
    canvas (HiDPI sizes too) at a random position and size, its strokes thickened."""
    height, width = rng.choice([(336, 336), (672, 672), (600, 800)])
    size = int(rng.uniform(0.3, 0.8) * min(height, width))
    big = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    thickness = int(rng.integers(0, max(2, size // 25))) * 2 + 1
    ink = ndimage.maximum_filter(np.asarray(big), thickness)  # PIL's MaxFilter, in O(thickness) per pixel
    top, left = rng.integers(0, height - size + 1), rng.integers(0, width - size + 1)
    alpha = np.zeros((height, width), np.uint8)
    alpha[top : top + size, left : left + size] = ink
    return alpha


def simulate_drawing(digit: np.ndarray, rng: np.random.Generator, as_layer: bool | None = None) -> np.ndarray:
    """A browser-like drawing of an MNIST digit (``drawn_ink``) as dark ink on white (H, W, 3) or as strokes
    on a transparent layer (H, W, 4; ``as_layer``, random when None)."""
    alpha = drawn_ink(digit, rng)
    layer = np.zeros((*alpha.shape, 4), np.uint8)
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
    crop = np.pad(digit, margin)[rows[0] : rows[-1] + 1 + 2 * margin, cols[0] : cols[-1] + 1 + 2 * margin]
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
            page[y : y + thickness] *= colour
        if rng.random() < 0.3:
            x = int(rng.integers(width // 10, width // 4))
            page[:, x : x + thickness + 1] *= np.array([0.95, 0.55, 0.55])
    side = int(rng.uniform(0.1, 0.6) * min(height, width))
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    pen = np.array([0.1, 0.1, 0.25]) * rng.uniform(0, 1) if rng.random() < 0.4 else np.full(3, rng.uniform(0, 0.2))
    strength = rng.uniform(0.7, 1.0)
    region = page[top : top + side, left : left + side]
    page[top : top + side, left : left + side] = (
        region * (1 - strength * ink[..., None]) + pen * strength * ink[..., None] * region
    )
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


CANVAS = 336
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf")
# Letters and signs that no digit resembles (no O, I, l, S, Z, G, B, b, g, q, T, D, U, J, z, s, o), and
# letters of other alphabets and symbols.
TYPED = "AEFHKMNRVWXYaefhkmnrwxy#&@%$¥©®±÷×∏≈≠≤≥αβγδζηθλμξπφψωЖЩЮЯжшщыю♠♦♪☺✓✗†‡¢¤≡∂∆∇∈∩∪⊂←→↑↓↔⇒★☆◆■□▲●○♀♂☼⌘※‰№™¿¡«»¬µ"
# Letters and symbols as strokes on a unit square (x right, y down): a polyline per stroke.
STROKES = {
    "A": [[(0.1, 1), (0.5, 0), (0.9, 1)], [(0.28, 0.6), (0.72, 0.6)]],
    "E": [[(0.85, 0), (0.15, 0), (0.15, 1), (0.85, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0), (0.15, 0), (0.15, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.85, 1)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.15, 0.55), (0.85, 1)]],
    "M": [[(0.05, 1), (0.15, 0), (0.5, 0.6), (0.85, 0), (0.95, 1)]],
    "N": [[(0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]],
    "X": [[(0.1, 0), (0.9, 1)], [(0.9, 0), (0.1, 1)]],
    "Y": [[(0.1, 0), (0.5, 0.5), (0.9, 0)], [(0.5, 0.5), (0.5, 1)]],
    "R": [[(0.2, 1), (0.2, 0), (0.75, 0.05), (0.8, 0.3), (0.7, 0.5), (0.2, 0.5)], [(0.45, 0.5), (0.85, 1)]],
    "+": [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]],
    "#": [[(0.35, 0), (0.25, 1)], [(0.75, 0), (0.65, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.67), (1, 0.67)]],
    "star": [[(0.5, 0), (0.2, 1), (0.98, 0.35), (0.02, 0.35), (0.8, 1), (0.5, 0)]],
    "triangle": [[(0.5, 0.05), (0.95, 0.95), (0.05, 0.95), (0.5, 0.05)]],
    "boxed cross": [
        [(0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.05)],
        [(0.05, 0.05), (0.95, 0.95)],
        [(0.95, 0.05), (0.05, 0.95)],
    ],
    "arrow": [[(0, 0.5), (1, 0.5)], [(0.65, 0.2), (1, 0.5), (0.65, 0.8)]],
    "house": [[(0.1, 1), (0.1, 0.45), (0.5, 0.05), (0.9, 0.45), (0.9, 1), (0.1, 1)], [(0.1, 0.45), (0.9, 0.45)]],
}


def non_digits(digits: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """(n, 28, 28) uint8 non-digits, read as the app reads a drawing: typed letters, scribbles, stroked
    letters and symbols, faces, hatching, spirals, and two or three of ``digits`` (MNIST images) in a row."""
    rng = np.random.default_rng(seed)
    makers = (
        _typed_letter,
        _scribble,
        _stroked_symbol,
        _face,
        _hatching,
        _spiral,
        _curves,
        _typed_letter,
        lambda rng: _digits_in_a_row(digits, 2, rng),
        lambda rng: _digits_in_a_row(digits, 3, rng),
    )
    return np.stack([digit_from_ink(makers[i % len(makers)](rng)) for i in range(n)])


def _canvas():
    image = Image.new("L", (CANVAS, CANVAS), 0)
    return image, ImageDraw.Draw(image)


def _ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image, np.float32) / 255


def _pen(rng) -> int:
    return int(rng.integers(10, 24))


def _typed_letter(rng) -> np.ndarray:
    image, draw = _canvas()
    font = _font(FONTS[rng.integers(len(FONTS))], int(rng.integers(150, 260)))
    draw.text((CANVAS / 2, CANVAS / 2), TYPED[rng.integers(len(TYPED))], fill=255, font=font, anchor="mm")
    return _ink(image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR))


def _font(name: str, size: int):
    try:
        return ImageFont.truetype(name, size)
    except OSError:  # a machine without that font: Pillow's own
        return ImageFont.load_default(size)


def _scribble(rng) -> np.ndarray:
    image, draw = _canvas()
    steps = rng.normal(0, 40, (int(rng.integers(8, 30)), 2)).cumsum(0)
    points = CANVAS / 2 + steps - steps.mean(0)
    draw.line([tuple(p) for p in np.clip(points, 10, CANVAS - 10)], fill=255, width=_pen(rng), joint="curve")
    return _ink(image)


def _curves(rng) -> np.ndarray:
    """Smooth pen curves through random points: loops, waves and knots, sometimes two of them."""
    image, draw = _canvas()
    for _ in range(int(rng.integers(1, 3))):
        points = rng.uniform(30, CANVAS - 30, (int(rng.integers(4, 9)), 2))
        t = np.linspace(0, 1, 20)[:, None]
        path = [
            tuple(p)
            for a, b, c in zip(points, points[1:], points[2:])
            for p in ((1 - t) ** 2 * (a + b) / 2 + 2 * (1 - t) * t * b + t**2 * (b + c) / 2)
        ]
        draw.line(path, fill=255, width=_pen(rng), joint="curve")
    return _ink(image)


def _digits_in_a_row(digits: np.ndarray, count: int, rng) -> np.ndarray:
    side = CANVAS // count
    image = Image.new("L", (CANVAS, CANVAS), 0)
    for k, i in enumerate(rng.choice(len(digits), count, replace=False)):
        image.paste(
            Image.fromarray(digits[i]).resize((side, side), Image.Resampling.BILINEAR),
            (k * side + int(rng.integers(-side // 8, side // 8 + 1)), (CANVAS - side) // 2),
        )
    return _ink(image)


def _polyline(draw, points, rng, width: int):
    jittered = np.asarray(points, np.float32) + (0 if rng is None else rng.normal(0, 0.02, (len(points), 2)))
    draw.line([tuple(p) for p in 40 + jittered * (CANVAS - 80)], fill=255, width=width, joint="curve")


def draw_strokes(strokes: list, width: int = 18) -> np.ndarray:
    """(CANVAS, CANVAS) uint8 ink of pen ``strokes`` (polylines on the unit square, x right, y down)."""
    image, draw = _canvas()
    for stroke in strokes:
        _polyline(draw, stroke, None, width)
    return np.asarray(image)


def _stroked_symbol(rng) -> np.ndarray:
    image, draw = _canvas()
    strokes = list(STROKES.values())[rng.integers(len(STROKES))]
    width = _pen(rng)
    for stroke in strokes:
        _polyline(draw, stroke, rng, width)
    return _ink(image.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BILINEAR))


def _face(rng) -> np.ndarray:
    image, draw = _canvas()
    width, r = _pen(rng), CANVAS * rng.uniform(0.35, 0.45)
    c = CANVAS / 2
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=width)
    for dx in (-0.35, 0.35):
        draw.ellipse((c + dx * r - width, c - 0.3 * r - width, c + dx * r + width, c - 0.3 * r + width), fill=255)
    mood = (20, 160) if rng.integers(2) else (200, 340)  # a smile or a frown
    offset = 0.1 * r if mood[0] == 20 else 0.75 * r
    draw.arc((c - 0.55 * r, c - 0.5 * r + offset, c + 0.55 * r, c + 0.5 * r + offset), *mood, fill=255, width=width)
    return _ink(image)


def _hatching(rng) -> np.ndarray:
    image, draw = _canvas()
    width, angle, count = _pen(rng) // 2, rng.uniform(0, np.pi), int(rng.integers(2, 9))
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    spread = rng.uniform(0.15, 0.35) if count < 4 else 0.35
    for k in np.linspace(-spread, spread, count) * CANVAS:
        centre = CANVAS / 2 + k * normal
        draw.line(
            [tuple(centre - 0.35 * CANVAS * direction), tuple(centre + 0.35 * CANVAS * direction)],
            fill=255,
            width=width,
        )
    return _ink(image)


def _spiral(rng) -> np.ndarray:
    image, draw = _canvas()
    turns = rng.uniform(2, 3.5)
    t = np.linspace(0, turns * 2 * np.pi, 200)
    radius = 0.42 * CANVAS * t / t[-1]
    points = CANVAS / 2 + np.stack([radius * np.cos(t), radius * np.sin(t)], 1)
    draw.line([tuple(p) for p in points], fill=255, width=_pen(rng) // 2 + 4, joint="curve")
    return _ink(image)
