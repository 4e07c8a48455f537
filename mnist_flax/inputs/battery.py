"""A battery of inputs as people and agents send them, built apart from everything the reader was tuned on.

Each family is made here by its own code and seeds, from MNIST *test* digits (never trained on), as the
image files a visitor uploads or an agent sends (PNG or JPEG bytes). The drawing families also keep the
ink a browser canvas would hold, for the page's own door. Every family has two halves: the ``tuning``
half (the first 5,000 test digits, its own seeds) may be looked at while choosing the reader's and the
detector's thresholds; the ``held_out`` half (the last 5,000, other seeds) is only ever reported.

- ``drawings``: pen strokes along each digit's skeleton, any pen width, size, slant and position, on
  canvases from 100 to 1,200 pixels, dark on white or white on black;
- ``tight_crops``: digits cropped to their ink with no margin, enlarged, dark on white;
- ``mnist_files``: the 28x28 test images saved as PNG files as they are;
- ``low_resolution``: digits reduced to 8-16 pixels (17 grey levels, as old scanners kept) and enlarged
  blocky (nearest) or blurry (bicubic);
- ``tall_strokes``: a plain "1", one straight stroke over 55-98% of the image's height;
- ``coloured_ink``: drawings in coloured ink on coloured paper, inverted ones too;
- ``photos``: a drawing on paper under uneven light, blurred, noisy, JPEG-compressed, sometimes ruled,
  loose in the frame or cropped tight to the digit;
- ``non_digits``: letters and symbols in fonts, scribbles, shapes, faces, and two or three digits in a row.
"""

import dataclasses
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy import ndimage

HALVES = {"tuning": (slice(0, 5000), 101), "held_out": (slice(5000, 10000), 202)}  # test digits, seed
FONTS = (
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSans-ExtraLight.ttf",
)
LETTERS = "ACEFHKMNPRWXYaefhkmnprtwxy"  # none of them read as a digit
SYMBOLS = "@&%#*=€£§¶ΣΩΦΨ∞♥♣"
PEN_COVERAGE = 0.95  # a pen drawing covers this share of a digit's ink, or the digit is not drawn
PEN_FAMILIES = ("drawings", "coloured_ink", "photos")
PEN_EDGE = ImageFilter.GaussianBlur(0.7)  # a pen's anti-aliased edge


@dataclasses.dataclass(frozen=True)
class Sample:
    """One input: the file as sent (``data``), its label (None for a non-digit) and, for drawings, the
    (H, W) uint8 ink the page's canvas would hold (255 = ink)."""

    family: str
    data: bytes
    label: int | None
    ink: np.ndarray | None = None

    def image(self) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(self.data)))


def family(name: str, images: np.ndarray, labels: np.ndarray, half: str, n: int) -> list[Sample]:
    """``n`` samples of family ``name`` in ``half`` ("tuning" or "held_out"), from the MNIST test split's
    ``images`` and ``labels`` (the whole split: each half takes its own digits, in order; the pen
    families skip those a pen cannot draw, ``pen_drawable``)."""
    digits, seed = HALVES[half]
    images, labels = images[digits], labels[digits]
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    make = FAMILIES[name]
    order = (i % len(images) for i in range(10 * n))
    if name in PEN_FAMILIES:
        order = (i for i in order if pen_drawable(images[i]))
    return [make(images[i], int(labels[i]), rng, k, images) for k, i in zip(range(n), order)]


# ------------------------------------------------------------------------------------------- pen strokes


def centre_lines(digit: np.ndarray, scale: int = 4) -> np.ndarray:
    """(28 * scale, 28 * scale) bool: the centre lines of a 28x28 digit's strokes (Zhang-Suen thinning)."""
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC))
    mask = np.pad(big > 110, 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [
                np.roll(np.roll(mask, -dy, 0), -dx, 1)
                for dy, dx in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
            ]  # P2..P9
            count = sum(q.astype(int) for q in p)
            transitions = sum((~p[k] & p[(k + 1) % 8]).astype(int) for k in range(8))
            a, b = (p[0] & p[2] & p[4], p[2] & p[4] & p[6]) if step == 0 else (p[0] & p[2] & p[6], p[0] & p[4] & p[6])
            remove = mask & (count >= 2) & (count <= 6) & (transitions == 1) & ~a & ~b
            if remove.any():
                mask &= ~remove
                changed = True
        if not changed:
            return mask[1:-1, 1:-1]


def pen_drawable(digit: np.ndarray, scale: int = 4) -> bool:
    """Whether a pen following the digit's centre lines draws the digit: its ink (a filled loop has no
    centre line round it) lies within 2 pixels of them. Pen families draw only such digits, so that
    their label is still what the drawing shows."""
    near = ndimage.distance_transform_edt(~centre_lines(digit, scale)) <= 2 * scale
    ink = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)) > 127
    return bool(near[ink].mean() >= PEN_COVERAGE) if ink.any() else False


def skeleton(digit: np.ndarray, scale: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) points (x, y) in [0, 1] along the centre lines of a 28x28 digit's strokes, and (E, 2)
    index pairs of neighbouring points: the path a pen would follow."""
    mask = centre_lines(digit, scale)
    ys, xs = np.nonzero(mask)
    index = -np.ones(mask.shape, int)
    index[ys, xs] = np.arange(len(ys))
    edges = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        y2, x2 = ys + dy, xs + dx
        ok = (y2 < mask.shape[0]) & (x2 >= 0) & (x2 < mask.shape[1])
        ok[ok] = mask[y2[ok], x2[ok]]
        edges += [(i, index[y, x]) for i, y, x in zip(np.flatnonzero(ok), y2[ok], x2[ok])]
    return np.stack([xs, ys], 1) / (28 * scale), np.asarray(edges, int).reshape(-1, 2)


def pen_drawing(
    digit: np.ndarray, rng, canvas: tuple[int, int], height: float, width: float, centre=None
) -> np.ndarray:
    """(H, W) uint8 ink of ``digit`` drawn with a round pen of ``width`` pixels, ``height`` pixels tall,
    slanted and stretched a little, at ``centre`` (x, y; random where it fits when None)."""
    points, edges = skeleton(digit)
    if len(points) == 0:
        points, edges = np.array([[0.5, 0.3], [0.5, 0.7]]), np.array([[0, 1]])
    points = points - (points.min(0) + points.max(0)) / 2
    shear, stretch, angle = rng.uniform(-0.25, 0.25), rng.uniform(0.8, 1.25), rng.uniform(-0.15, 0.15)
    transform = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.array(
        [[stretch, shear], [0, 1]]
    )
    points = points @ transform.T
    points *= height / max(np.ptp(points[:, 1]), 1e-3)
    extent = points.max(0) - points.min(0) + width
    if centre is None:
        room = np.maximum(np.array(canvas[::-1]) - extent, 0)
        centre = extent / 2 + rng.uniform(0, 1, 2) * room
    points += np.asarray(centre) - (points.min(0) + points.max(0)) / 2
    image = Image.new("L", (canvas[1], canvas[0]), 0)
    draw = ImageDraw.Draw(image)
    r = width / 2
    for a, b in edges:
        draw.line([tuple(points[a]), tuple(points[b])], fill=255, width=max(1, round(width)))
    for x, y in points:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image.filter(PEN_EDGE))


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg(array: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _on_paper(ink: np.ndarray, paper, pen) -> np.ndarray:
    """(H, W, 3) uint8: ``ink`` (0..255) in colour ``pen`` on ``paper`` (RGB in 0..1)."""
    a = ink[..., None].astype(np.float32) / 255
    return np.round(255 * (np.asarray(paper) * (1 - a) + np.asarray(pen) * a)).astype(np.uint8)


def _random_drawing(digit, rng):
    side = int(np.exp(rng.uniform(np.log(100), np.log(1200))))
    canvas = (side, int(side * rng.choice([1.0, 1.0, 1.33, 0.75])))
    height = rng.uniform(0.3, 0.9) * min(canvas)
    width = max(1.5, height * np.exp(rng.uniform(np.log(0.025), np.log(0.2))))
    return pen_drawing(digit, rng, canvas, height, width)


# ------------------------------------------------------------------------------------------- families


def _drawing(digit, label, rng, i, _):
    ink = _random_drawing(digit, rng)
    image = 255 - ink if rng.random() < 0.8 else ink
    return Sample("drawings", _png(image), label, ink)


def _tight_crop(digit, label, rng, i, _):
    rows, cols = np.flatnonzero(digit.max(1) > 0), np.flatnonzero(digit.max(0) > 0)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = rng.uniform(2, 12)
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    big = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))
    return Sample("tight_crops", _png(255 - big), label)


def _mnist_file(digit, label, rng, i, _):
    return Sample("mnist_files", _png(digit), label)


def _low_resolution(digit, label, rng, i, _):
    side = int(rng.integers(8, 17))
    rows, cols = np.flatnonzero(digit.max(1) > 0), np.flatnonzero(digit.max(0) > 0)
    pad = 2
    crop = np.pad(digit, pad)[rows[0] : rows[-1] + 1 + 2 * pad, cols[0] : cols[-1] + 1 + 2 * pad]
    small = np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BOX), np.float32)
    small = np.round(small / 255 * 16) * (255 / 16)  # 17 grey levels
    size = int(rng.integers(64, 513))
    method = Image.Resampling.NEAREST if rng.random() < 0.5 else Image.Resampling.BICUBIC
    big = np.asarray(Image.fromarray(small.astype(np.uint8)).resize((size, size), method))
    return Sample("low_resolution", _png(255 - big if rng.random() < 0.7 else big), label)


def _tall_stroke(digit, label, rng, i, _):
    height = int(rng.integers(60, 900))
    width = int(height * rng.uniform(0.25, 1.2))
    length = rng.uniform(0.55, 0.98) * height
    pen = max(1.5, length * rng.uniform(0.02, 0.14))
    slant = rng.uniform(-0.12, 0.12) * length
    cx, cy = width / 2 + rng.uniform(-0.2, 0.2) * width, height / 2
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).line(
        [(cx - slant / 2, cy - length / 2), (cx + slant / 2, cy + length / 2)], fill=255, width=round(pen)
    )
    ink = np.asarray(image.filter(PEN_EDGE))
    return Sample("tall_strokes", _png(255 - ink), 1, ink)


def _coloured_ink(digit, label, rng, i, _):
    ink = _random_drawing(digit, rng)
    light, dark = rng.uniform(0.75, 1.0, 3), rng.uniform(0.0, 0.45, 3)
    if rng.random() < 0.5:  # a vivid pen: one channel up
        dark[rng.integers(3)] = rng.uniform(0.5, 1.0)
    paper, pen = (light, dark) if rng.random() < 0.6 else (dark * 0.5, light)
    return Sample("coloured_ink", _png(_on_paper(ink, paper, pen)), label, ink)


def _photo(digit, label, rng, i, _):
    tight = i % 2 == 1
    height, width = (int(rng.integers(300, 900)),) * 2 if tight else ((480, 640), (640, 480), (720, 720))[i % 3]
    digit_height = rng.uniform(0.6, 0.9) * height if tight else rng.uniform(0.15, 0.5) * min(height, width)
    pen_width = max(2.0, digit_height * rng.uniform(0.04, 0.12))
    ink = pen_drawing(digit, rng, (height, width), digit_height, pen_width).astype(np.float32) / 255
    if tight:  # cropped to the ink, with at most a few pixels of paper around it
        rows, cols = np.flatnonzero(ink.max(1) > 0.3), np.flatnonzero(ink.max(0) > 0.3)
        margin = int(rng.integers(0, max(1, int(0.04 * digit_height))))
        ink = ink[max(0, rows[0] - margin) : rows[-1] + margin + 1, max(0, cols[0] - margin) : cols[-1] + margin + 1]
    h, w = ink.shape
    grid = rng.uniform(0.55, 1.0, (3, 3))
    light = np.asarray(Image.fromarray(grid.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BICUBIC))
    paper = rng.uniform(0.7, 0.98) * (1 - rng.uniform(0, 0.1, 3))
    page = np.ones((h, w, 3), np.float32) * paper
    if rng.random() < 0.4:  # ruled paper, grey-blue lines
        spacing = int(rng.integers(20, 45))
        page[int(rng.integers(0, spacing)) :: spacing] *= rng.uniform(0.65, 0.85)
    pen = np.full(3, rng.uniform(0.0, 0.25)) if rng.random() < 0.5 else np.array([0.1, 0.15, 0.45])
    strength = rng.uniform(0.65, 0.95)
    page = page * (1 - strength * ink[..., None]) + pen * strength * ink[..., None]
    page *= np.clip(light, 0.3, 1.1)[..., None]
    page = ndimage.gaussian_filter(page, (rng.uniform(0.3, 2.0),) * 2 + (0,))
    page = np.clip(page + rng.normal(0, rng.uniform(0.004, 0.025), page.shape), 0, 1)
    return Sample("photos", _jpeg(np.round(page * 255).astype(np.uint8), int(rng.integers(35, 95))), label)


def _font(name, size):
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)


def _non_digit(digit, label, rng, i, digits):
    side = int(rng.integers(120, 800))
    maker = NON_DIGITS[i % len(NON_DIGITS)]
    ink = maker(rng, side, digits)
    image = 255 - ink if rng.random() < 0.8 else ink
    return Sample("non_digits", _png(image), None, ink)


def _text(rng, side, chars):
    image = Image.new("L", (side, side), 0)
    font = _font(FONTS[rng.integers(len(FONTS))], int(side * rng.uniform(0.4, 0.8)))
    ImageDraw.Draw(image).text((side / 2, side / 2), chars[rng.integers(len(chars))], fill=255, font=font, anchor="mm")
    return np.asarray(image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC))


def _scribble(rng, side, _):
    image = Image.new("L", (side, side), 0)
    t = np.linspace(0, 1, 300)[:, None]
    k = int(rng.integers(3, 7))
    points = sum(
        rng.uniform(-0.3, 0.3, 2) * np.sin(2 * np.pi * (j + 1) * t * rng.uniform(0.5, 2) + rng.uniform(0, 2 * np.pi, 2))
        for j in range(k)
    )
    points = side / 2 + points * side * 0.9
    ImageDraw.Draw(image).line(
        [tuple(p) for p in points], fill=255, width=max(2, int(side * rng.uniform(0.02, 0.06))), joint="curve"
    )
    return np.asarray(image)


def _shape(rng, side, _):
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    width = max(2, int(side * rng.uniform(0.02, 0.07)))
    m = side * rng.uniform(0.1, 0.2)
    kind = rng.integers(5)
    if kind == 0:  # a box with its diagonals
        draw.rectangle((m, m, side - m, side - m), outline=255, width=width)
        draw.line((m, m, side - m, side - m), fill=255, width=width)
        draw.line((m, side - m, side - m, m), fill=255, width=width)
    elif kind == 1:  # a star
        angles = np.pi / 2 + np.arange(11) * 4 * np.pi / 5
        draw.line(
            [(side / 2 + (side / 2 - m) * np.cos(a), side / 2 - (side / 2 - m) * np.sin(a)) for a in angles],
            fill=255,
            width=width,
            joint="curve",
        )
    elif kind == 2:  # a grid
        for f in np.linspace(0, 1, int(rng.integers(3, 6))):
            x = m + f * (side - 2 * m)
            draw.line((x, m, x, side - m), fill=255, width=width)
            draw.line((m, x, side - m, x), fill=255, width=width)
    elif kind == 3:  # a triangle in a circle
        draw.ellipse((m, m, side - m, side - m), outline=255, width=width)
        r = side / 2 - m
        draw.polygon(
            [(side / 2 + r * np.cos(a), side / 2 + r * np.sin(a)) for a in np.pi / 2 + np.arange(3) * 2.094],
            outline=255,
            width=width,
        )
    else:  # a filled square with a hole
        draw.rectangle((m, m, side - m, side - m), fill=255)
        draw.ellipse((side / 3, side / 3, 2 * side / 3, 2 * side / 3), fill=0)
    return np.asarray(image)


def _face(rng, side, _):
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    width = max(2, int(side * rng.uniform(0.02, 0.05)))
    rx, ry = side * rng.uniform(0.3, 0.45), side * rng.uniform(0.35, 0.45)
    c = side / 2
    draw.ellipse((c - rx, c - ry, c + rx, c + ry), outline=255, width=width)
    eye = max(width, side * 0.04)
    for dx in (-0.4, 0.4):
        draw.ellipse((c + dx * rx - eye, c - 0.25 * ry - eye, c + dx * rx + eye, c - 0.25 * ry + eye), fill=255)
    draw.line((c, c - 0.05 * ry, c, c + 0.15 * ry), fill=255, width=width)
    draw.arc((c - 0.5 * rx, c, c + 0.5 * rx, c + 0.6 * ry), 20, 160, fill=255, width=width)
    return np.asarray(image)


def _digits_in_a_row(rng, side, digits, count=None):
    count = count or int(rng.integers(2, 4))
    height = side // count
    width = max(2.0, height * rng.uniform(0.05, 0.12))
    ink = np.zeros((side, side), np.uint8)
    for k in range(count):
        one = pen_drawing(
            digits[rng.integers(len(digits))],
            rng,
            (side, side),
            height * 0.8,
            width,
            centre=(height * (k + 0.5), side / 2),
        )
        ink = np.maximum(ink, one)
    return ink


NON_DIGITS = (
    lambda rng, side, _: _text(rng, side, LETTERS),
    lambda rng, side, _: _text(rng, side, SYMBOLS),
    _scribble,
    _shape,
    _face,
    _digits_in_a_row,
)
NON_DIGIT_KINDS = ("letters", "symbols", "scribbles", "shapes", "faces", "digits in a row")
FAMILIES = {
    "drawings": _drawing,
    "tight_crops": _tight_crop,
    "mnist_files": _mnist_file,
    "low_resolution": _low_resolution,
    "tall_strokes": _tall_stroke,
    "coloured_ink": _coloured_ink,
    "photos": _photo,
    "non_digits": _non_digit,
}
