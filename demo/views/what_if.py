"""What would make it a 3? Every model's nudge of the drawing toward a chosen digit, step by step."""

import gradio as gr
import numpy as np
import pandas as pd

from demo import pictures
from demo.state import AppState, digit
from demo.views import DRAW_HINT

ZOOMED = 112  # each 28x28 image on the page, in pixels


def nudges(state: AppState, image, target: int, mine=None) -> dict:
    """Every model (the visitor's too) on ``image`` nudged toward ``target``: name -> Counterfactual."""
    return {
        name: state.predictor(name, mine).counterfactual(image, int(target)) for name in state.names + list(mine or ())
    }


def view(state: AppState, image, target, mine=None) -> dict:
    """The changed drawing per bundled model, what changed, and the target's probability at each step."""
    if image is None:
        return {"whatif": f"<p>{DRAW_HINT}, then pick the digit it should become.</p>", "whatif_plot": None}
    target = int(target)
    results = nudges(state, image, target)
    cells, rows = [], []
    changes = {name: result.final[0] - result.images[0, 0] for name, result in results.items()}
    high = max(float(np.abs(c).max()) for c in changes.values()) or 1.0  # one scale for every model's change
    for name, result in results.items():
        start, end = result.probabilities[0, 0], result.probabilities[-1, 0]
        steps = int(result.steps_taken[0])
        if steps == 0:
            verdict = f"already reads {target} ({start[target]:.0%}): unchanged"
        elif result.reached[0]:
            verdict = (
                f"reads {target} after {steps} steps: p({target}) {start[target]:.0%} → {end[target]:.0%}, "
                f"change {result.change[0]:.1f}"
            )
        else:
            verdict = f"still {end.argmax()} after {steps} steps: p({target}) {start[target]:.0%} → {end[target]:.0%}"
        final = np.round(result.final[0] * 255).astype(np.uint8)
        difference = pictures.colours(changes[name], high)[0]
        cells.append(
            f'<figure class="nudge"><figcaption><b>{name}</b></figcaption>'
            f"{pictures.picture(final, ZOOMED, f'{name}: the drawing changed')}"
            f"{pictures.picture(difference, ZOOMED, f'{name}: the change')}"
            f"<figcaption>{verdict}</figcaption></figure>"
        )
        rows += [(step, float(p[0, target]), name) for step, p in enumerate(result.probabilities[: steps + 1])]
    legend = pictures.legend(high, True).replace("</div>", " second row: ink added (red) or removed (blue)</div>")
    return {
        "whatif": f'<div class="tiles maps">{"".join(cells)}</div>{legend}',
        "whatif_plot": pd.DataFrame(rows, columns=["step", "probability of the target", "model"]),
    }


def counterfactual(state: AppState, image_path: str, model_name: str, target: int, mine=None):
    """Nudges an image of a digit, step by step, until one MNIST model reads another digit.

    Args:
        image_path: an image of one digit (a file path or URL), read as in `predict`.
        model_name: cnn, deep_cnn, mlp, shallow_mlp or vanilla_mlp.
        target: the digit (0-9) the model should come to read.

    Returns:
        The image at each step (28x28, 0..1) with the model's probabilities, whether the target came first
        (reached), after how many steps, and the size of the change (L2).
    """
    image = digit(image_path)
    if image is None:
        return {"message": DRAW_HINT}
    if str(target) not in [str(d) for d in range(10)]:
        raise gr.Error(f"The target must be a digit from 0 to 9 (got {target!r}).")
    result = state.predictor(model_name, mine).counterfactual(image, int(target))
    steps = int(result.steps_taken[0])
    return {
        "model": model_name,
        "target": int(target),
        "reached": bool(result.reached[0]),
        "steps": steps,
        "change_l2": round(float(result.change[0]), 4),
        "images": np.round(result.images[: steps + 1, 0], 3).tolist(),
        "probabilities": np.round(result.probabilities[: steps + 1, 0], 5).tolist(),
    }


def build() -> dict:
    shown = {"target": gr.Radio([str(d) for d in range(10)], value="3", label="Make it a")}
    shown["whatif"] = gr.HTML(view(None, None, 3)["whatif"])
    shown["whatif_plot"] = gr.LinePlot(
        x="step",
        y="probability of the target",
        color="model",
        height=240,
        title="The target's probability, step by step",
    )
    return shown
