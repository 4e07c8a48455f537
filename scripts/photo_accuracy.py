"""Accuracy of the bundled models on synthetic photos of MNIST test digits written on paper
(``photo.synthetic_photo``: grey or tinted paper with texture, uneven light and shadows, ruled lines,
the digit small or large anywhere in the frame, blur, noise, JPEG), read by the photo preprocessing
(``preprocess_photo``) and, for comparison, by the drawing preprocessing (``preprocess_sketch``).

    python scripts/photo_accuracy.py --n 2000
"""
import argparse
import time

import numpy as np

import mnist_flax
from mnist_flax.photo import preprocess_photo, synthetic_photos
from mnist_flax.prediction import load_bundled_models
from mnist_flax.sketch import BlankSketchError


def read_all(photos, preprocess) -> tuple[np.ndarray, float]:
    """Each photo as a 28x28 digit (a blank one where nothing was found) and the mean ms per photo."""
    digits, start = [], time.perf_counter()
    for photo in photos:
        try:
            digits.append(preprocess(photo))
        except BlankSketchError:
            digits.append(np.zeros((28, 28), np.uint8))
    return np.stack(digits), 1000 * (time.perf_counter() - start) / len(digits)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000, help="number of photos (of the first n test digits)")
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    test = mnist_flax.load_mnist(args.data_dir).test
    photos = list(synthetic_photos(test.images[: args.n]))
    read = {name: read_all(photos, fn) for name, fn in (("photo", preprocess_photo),
                                                         ("drawing", mnist_flax.preprocess_sketch))}
    labels = test.labels[: args.n]
    print(f"| model | photos, photo preprocessing | photos, drawing preprocessing |  ({args.n} synthetic photos; "
          f"{read['photo'][1]:.0f} and {read['drawing'][1]:.0f} ms per photo)")
    print("|---|---:|---:|")
    for name, model in load_bundled_models().items():
        accuracy = [(model.predict(read[k][0]).argmax(1) == labels).mean() for k in ("photo", "drawing")]
        print(f"| {name} | {accuracy[0]:.2%} | {accuracy[1]:.2%} |")


if __name__ == "__main__":
    main()
