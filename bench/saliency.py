"""Which saliency map reads better on drawings, per bundled model (inside.md).

    python -m bench saliency --n 300

Plain gradient, SmoothGrad and integrated gradients on browser-like drawings of test digits; two figures each:
- deletion: the model's probability of its answer, averaged while the map's top pixels are erased (set to
  blank) 8 at a time up to 160 (about the ink of a digit). Lower: the map found the pixels the answer rests
  on. A random order is the baseline.
- on the strokes: the share of the map's weight on the drawing's ink or next to it. Higher: the map reads as a
  picture of the drawing rather than of blank paper.
"""

import numpy as np
from scipy import ndimage

import mnist_flax
from bench import harness
from mnist_flax.attribution import SALIENCY_METHODS
from mnist_flax.inputs import drawn_digits
from mnist_flax.prediction import load_bundled_models

ERASED = range(0, 161, 8)


def add_arguments(p):
    p.add_argument("--n", type=int, default=300, help="test digits drawn as sketches")
    p.add_argument("--data-dir")


def deletion(predictor, images, order) -> float:
    """Mean probability of each image's answer while its pixels are erased in ``order`` (N, 784)."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    answer = predictor.predict(images).argmax(1)
    rows = np.arange(len(x))[:, None]
    curve = []
    for k in ERASED:
        erased = x.copy()
        erased[rows, order[:, :k]] = 0
        curve.append(predictor.predict(erased.reshape(-1, 28, 28))[np.arange(len(x)), answer])
    return float(np.mean(curve))


def on_strokes(maps, images) -> float:
    near_ink = ndimage.binary_dilation(images > 25, structure=np.ones((1, 3, 3), bool))
    weight = np.abs(maps)
    return float((weight * near_ink).sum() / weight.sum())


def run(args):
    images = drawn_digits(mnist_flax.load_mnist(args.data_dir).test.images[: args.n])
    random_order = np.argsort(np.random.default_rng(0).random((len(images), 784)), 1)
    rows = []
    for name, predictor in load_bundled_models().items():
        cells = [f"{deletion(predictor, images, random_order):.3f}"]
        for method in SALIENCY_METHODS:
            maps = np.stack([predictor.saliency(image, method) for image in images])
            order = np.argsort(-maps.reshape(len(maps), -1), 1)  # most positive (toward the answer) first
            cells += [f"{deletion(predictor, images, order):.3f}", f"{on_strokes(maps, images):.1%}"]
        rows.append([name, *cells])
    header = [
        "model",
        "random deletion",
        *(f"{m} {figure}" for m in SALIENCY_METHODS for figure in ("deletion", "on the strokes")),
    ]
    harness.publish(
        args.docs / "inside.md",
        "saliency",
        args.command,
        f"{args.n} browser-like drawings of test digits. Deletion: lower is better; on the strokes: "
        "higher.\n\n" + harness.table(header, rows),
    )
