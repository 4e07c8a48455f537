"""Inputs the project makes, in two parts that share no code: ``training`` (drawings, photos, crops,
low-resolution copies and non-digits that the judge is trained on and the tests draw with) and
``battery`` (families built apart from all of that, to measure the reader and the judge on)."""

from mnist_flax.inputs.training import (
    STROKES,
    draw_strokes,
    drawn_digits,
    drawn_ink,
    low_resolution,
    non_digits,
    simulate_drawing,
    synthetic_photo,
    synthetic_photos,
    tight_crop,
)

__all__ = [
    "STROKES",
    "draw_strokes",
    "drawn_digits",
    "drawn_ink",
    "low_resolution",
    "non_digits",
    "simulate_drawing",
    "synthetic_photo",
    "synthetic_photos",
    "tight_crop",
]
