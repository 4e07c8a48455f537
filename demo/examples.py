"""The row of drawings to click: clean digits, hard ones that split the models, and two that are not
digits. Each is pen strokes on a unit square (x right, y down), drawn at the canvas's pen width; the
hard ones were picked among jittered drawings for how much the bundled models disagree on them."""

import numpy as np

from mnist_flax.inputs import STROKES, draw_strokes


def _arc(cx, cy, rx, ry, start, stop, n=24):
    t = np.radians(np.linspace(start, stop, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


EXAMPLES = {
    "0": [_arc(0.5, 0.5, 0.3, 0.45, 0, 360)],
    "1": [[(0.45, 0.1), (0.55, 0.0), (0.55, 1.0)]],
    "2": [_arc(0.5, 0.28, 0.3, 0.25, 200, 360) + [(0.8, 0.3), (0.15, 1.0), (0.9, 1.0)]],
    "3": [_arc(0.48, 0.26, 0.3, 0.24, 210, 450) + _arc(0.48, 0.74, 0.33, 0.26, -90, 150)],
    "4": [[(0.6, 0.0), (0.1, 0.65), (0.9, 0.65)], [(0.65, 0.3), (0.65, 1.0)]],
    "7": [[(0.1, 0.05), (0.9, 0.05), (0.4, 1.0)]],
    "4 or 9?": [
        [
            (0.14, 0.26),
            (0.15, 0.18),
            (0.05, 0.08),
            (0.27, 0.19),
            (0.42, 0.06),
            (0.44, 0.08),
            (0.43, -0.08),
            (0.55, -0.07),
            (0.6, 0.11),
            (0.6, 0.13),
            (0.8, 0.21),
            (0.78, 0.32),
            (0.85, 0.31),
            (0.79, 1.0),
        ],
        [(0.12, 0.32), (0.7, 0.52), (0.7, 0.41)],
    ],
    "1 or 7?": [[(0.24, 0.3), (0.69, 0.85), (0.48, 1.0)]],
    "5 or 6?": [
        [
            (0.8, -0.06),
            (0.31, 0.48),
            (0.29, 0.62),
            (0.43, 0.47),
            (0.51, 0.39),
            (0.66, 0.43),
            (0.64, 0.57),
            (0.74, 0.76),
            (0.89, 0.85),
            (0.64, 0.92),
            (0.51, 0.93),
            (0.37, 0.96),
            (0.3, 0.9),
            (0.24, 0.73),
            (0.29, 0.86),
        ]
    ],
    "3 or 8?": [
        [
            (0.34, 0.52),
            (0.25, 0.15),
            (0.21, 0.15),
            (0.25, 0.13),
            (0.39, 0.03),
            (0.59, 0.04),
            (0.62, 0.09),
            (0.79, 0.1),
            (0.81, 0.23),
            (0.69, 0.39),
            (0.71, 0.45),
            (0.47, 0.5),
            (0.35, 0.55),
            (0.73, 0.65),
            (0.72, 0.55),
            (0.76, 0.69),
            (0.85, 0.74),
            (0.88, 0.86),
            (0.77, 0.78),
            (0.74, 0.98),
            (0.55, 0.92),
            (0.39, 0.95),
            (0.3, 0.87),
            (0.12, 0.85),
            (0.27, 0.92),
        ]
    ],
    "the letter M": STROKES["M"],
    "a house": STROKES["house"],
}


def example_inks() -> dict[str, np.ndarray]:
    """Each example's ink, (336, 336) uint8 with 255 = ink, as the canvas would hold it."""
    return {name: draw_strokes(strokes) for name, strokes in EXAMPLES.items()}
