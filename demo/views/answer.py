"""Answer: one model's calibrated probabilities, what it sees, which pixels carried its answer, and
whether the drawing looks like a digit at all; ``predict`` is its API endpoint."""

import numpy as np

from demo.adapter import labels
from demo.pictures import png_data_uri, saliency_map
from demo.state import AppState, reading
from demo.views import DRAW_HINT

NOT_A_DIGIT = (
    "<p class='not-a-digit'>This does not look like a digit: it lies far from every digit the models "
    "learned from. The bars show what the model answers anyway.</p>"
)


def view(state: AppState, image, model_name, mine=None) -> dict:
    """The probabilities, what the model sees (the 28x28 input) and which pixels carried its answer."""
    if image is None:
        return {"label": DRAW_HINT, "verdict": "", "views": pictures()}
    predictor = state.predictor(model_name, mine)
    return {**probabilities(state, image, model_name, mine), "views": pictures(image, predictor.saliency(image))}


def probabilities(state: AppState, image, model_name, mine=None) -> dict:
    """The probabilities and the verdict alone: what follows the pen while a stroke is drawn."""
    if image is None:
        return {"label": DRAW_HINT, "verdict": ""}
    return {"label": labels(state.predictor(model_name, mine).predict(image)[0]), "verdict": verdict(state, image)}


def verdict(state: AppState, image) -> str:
    """Says so when the drawing does not look like a digit (``novelty.Judge``); else nothing."""
    return "" if state.judge is None or state.judge.is_digit(image)[0] else NOT_A_DIGIT


def pictures(seen: np.ndarray | None = None, saliency: np.ndarray | None = None) -> str:
    """What the model sees and its saliency (integrated gradients, with its colour scale), side by side,
    as inline 28x28 PNGs shown at 224x224."""
    captions = ("What the model sees (28x28)", "Pixels for (red) and against (blue) the answer")
    if seen is None:
        return "".join(
            f'<figure class="view"><figcaption>{c}</figcaption><div class="empty"></div></figure>' for c in captions
        )
    return (
        f'<figure class="view"><figcaption>{captions[0]}</figcaption>'
        f'<img src="{png_data_uri(seen)}" alt="{captions[0]}"></figure>'
        f'<figure class="view"><figcaption>{captions[1]}</figcaption>'
        f"{saliency_map(saliency, 224, captions[1])}</figure>"
    )


def predict(state: AppState, image_path: str, model_name: str = "cnn", mine=None) -> dict:
    """Reads the handwritten digit (0-9) in an image with one of the five MNIST models, and says whether the
    image looks like a digit at all.

    Args:
        image_path: an image of one digit: a drawing, a photo of a digit on paper or an MNIST image (a file
            path or URL); it is cropped, centred and scaled to 28x28 as MNIST was.
        model_name: which model answers: cnn (the default, the most accurate), deep_cnn, mlp, shallow_mlp or
            vanilla_mlp.

    Returns:
        label: the digit read ("Draw a digit" when the image holds none); confidences: the calibrated
        probability of each digit, highest first; is_digit: false when the image does not look like a digit
        (a letter, a shape, several digits), whatever the label; not_a_digit_score and not_a_digit_threshold:
        the judge's probability that it is not a digit, and where it starts to say so; read_as: how the image
        was read (mnist, drawing or photo).
    """
    predictor = state.predictor(model_name, mine)
    found = reading(image_path)
    if found is None:
        return {"label": DRAW_HINT, "confidences": None}
    probabilities = predictor.predict(found.digit)[0]
    result = {
        "label": str(int(probabilities.argmax())),
        "confidences": [{"label": str(d), "confidence": float(probabilities[d])} for d in np.argsort(-probabilities)],
    }
    if state.judge is not None:
        score = float(state.judge.score(found.digit)[0])
        result.update(
            is_digit=score <= state.judge.threshold,
            not_a_digit_score=score,
            not_a_digit_threshold=state.judge.threshold,
        )
    return {**result, "read_as": found.kind}
