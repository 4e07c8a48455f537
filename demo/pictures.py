"""Arrays as pictures inside the page's HTML: feature maps, unit strips, weights, maps with a
colour legend and probability bars. Each picture is one small PNG (a data URI) that the browser
enlarges with sharp pixels: no image files to write and fetch, one PNG per layer, not per channel.
"""

import base64
import html
import io

import matplotlib
import numpy as np
from PIL import Image

SIGNED = (matplotlib.colormaps["RdBu_r"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)  # blue - white - red
UNSIGNED = (matplotlib.colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)  # black - yellow
ZOOM = 8  # the 28x28 views are shown at 224x224
GAP = np.array([200, 200, 200], np.uint8)  # between tiles
CSS = """figure.view { display: inline-block; margin: 0 12px 0 0; }
figure.view img, figure.view .empty { width: 224px; height: 224px; image-rendering: pixelated; background: black; }
figure.view figcaption { font-size: 0.85em; }
p.not-a-digit { background: #fff3cd; color: #664d03; border-left: 4px solid #e0a800; padding: 6px 10px; margin: 0; }
.kept p { font-size: 0.8em; color: #666; }
.inside .layer { margin: 0 0 14px 0; }
.inside h4 { margin: 0 0 4px 0; font-size: 0.95em; }
.inside img, .maps img { image-rendering: pixelated; display: block; }
.legend { display: flex; align-items: center; gap: 6px; font-size: 0.8em; margin-top: 3px; }
.legend img { width: 120px; height: 10px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; }
.tiles figure { margin: 0; font-size: 0.8em; }
.tiles figure.card { width: 150px; }
.tiles figure.card .legend img { width: 56px; }
.bars div { display: flex; align-items: center; gap: 6px; font-size: 0.85em; }
.bars span.bar { display: inline-block; height: 10px; background: #f97316; }"""


def colours(values: np.ndarray, high: float | None = None) -> tuple[np.ndarray, float, bool]:
    """RGB for ``values``: a diverging scale around 0 when any value is negative, else black to yellow;
    shared by all of them, up to ``high`` (default: their largest magnitude). Also returns the scale."""
    signed = bool((values < 0).any())
    high = float(high or np.abs(values).max() or 1.0)
    position = (values / high + 1) / 2 if signed else values / high
    index = np.round(np.clip(np.nan_to_num(position), 0, 1) * 255).astype(np.uint8)
    return (SIGNED if signed else UNSIGNED)[index], high, signed


def tiled(maps: np.ndarray, columns: int) -> tuple[np.ndarray, float, bool]:
    """(K, h, w) maps on one coloured grid, a one-pixel gap between them, one colour scale for all;
    returns the grid and its scale (as ``colours``)."""
    rgb, high, signed = colours(maps)
    k, h, w = maps.shape
    rows = -(-k // columns)
    grid = np.tile(GAP, (rows * (h + 1) - 1, columns * (w + 1) - 1, 1))
    for i in range(k):
        r, c = divmod(i, columns)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = rgb[i]
    return grid, high, signed


def legend(high: float, signed: bool) -> str:
    """The colour scale's bar between its two ends."""
    ramp = (SIGNED if signed else UNSIGNED)[None, :, :]
    low = -high if signed else 0.0
    return (
        f'<div class="legend"><span>{low:.3g}</span><img src="{png_data_uri(ramp)}" alt="colour scale">'
        f"<span>{high:.3g}</span></div>"
    )


def picture(rgb: np.ndarray, width: int, alt: str) -> str:
    return f'<img src="{png_data_uri(rgb)}" width="{width}" alt="{html.escape(alt)}">'


def saliency_map(saliency: np.ndarray, width: int, alt: str = "saliency") -> str:
    """A saliency map (``Predictor.saliency``) in its colours, with its scale."""
    rgb, high, signed = colours(saliency)
    return picture(rgb, width, alt) + legend(high, signed)


def feature_maps(values: np.ndarray, width: int = 600) -> str:
    """(H, W, C) feature maps as a grid of C small images with their shared scale."""
    maps = values.transpose(2, 0, 1)
    columns = min(len(maps), 16 if maps.shape[1] <= 13 else 8)
    grid, high, signed = tiled(maps, columns)
    return picture(grid, min(width, grid.shape[1] * 6), "feature maps") + legend(high, signed)


def units(values: np.ndarray, per_row: int = 64) -> str:
    """(units,) activations as rows of coloured cells."""
    rows = -(-len(values) // per_row)
    rgb, high, signed = colours(values)
    strip = np.tile(GAP, (rows * per_row, 1))
    strip[: len(values)] = rgb
    columns = min(per_row, len(values))
    strip = strip.reshape(rows, per_row, 3)[:, :columns]
    return picture(strip, columns * 9, "unit activations") + legend(high, signed)


def bars(probabilities: np.ndarray, top: int | None = None) -> str:
    """Probabilities as bars: every class in order, or the ``top`` most likely."""
    order = range(len(probabilities)) if top is None else np.argsort(-probabilities)[:top]
    return (
        '<div class="bars">'
        + "".join(
            f'<div><b>{d}</b><span class="bar" style="width:{probabilities[d] * 100:.0f}px"></span>'
            f"{probabilities[d]:.1%}</div>"
            for d in order
        )
        + "</div>"
    )


def weights(kernels: np.ndarray, most: int = 64, width: int = 420) -> str:
    """First-layer weights, one image per unit (at most ``most``), red for ink that excites the unit
    and blue for ink that inhibits it."""
    shown = kernels[:most]
    grid, high, signed = tiled(shown, columns=8)
    caption = "" if len(kernels) <= most else f"<div class='legend'>the first {most} of {len(kernels)} units</div>"
    return picture(grid, width, "first-layer weights") + legend(high, signed) + caption


def png_data_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def zoom(image: np.ndarray) -> np.ndarray:
    return image.repeat(ZOOM, 0).repeat(ZOOM, 1)
