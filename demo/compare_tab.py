"""Compare: the same drawing through every model, and the architectures side by side."""
import time
from types import SimpleNamespace

import gradio as gr

from mnist_flax import MODELS
from mnist_flax.models import count_params, forward_flops
from shared import DRAW_HINT, AppState, digit, drawing_canvas, drawing_digit, event_handler, labels, sketchpad


def compare(state: AppState, sketch, mine=None):
    """The `compare` endpoint: every model (the visitor's too) on a Sketchpad value or image."""
    return results(state, digit(sketch), mine)


def show(state: AppState, drawing, mine=None) -> dict:
    """What the tab shows for the canvas's drawing, from one event: the cards and the raw results."""
    found = results(state, drawing_digit(drawing), mine)
    return {**cards(state, found), "raw": found}


def results(state: AppState, image, mine=None) -> dict:
    """Every model (the visitor's too) on one digit: top guess, probabilities, parameters, test accuracy, time."""
    if image is None:
        return {"message": DRAW_HINT}
    results = {}
    for name in state.names + list(mine or ()):
        predictor = state.predictor(name, mine)
        start = time.perf_counter()
        probabilities = predictor.predict(image)[0]
        elapsed_ms = (time.perf_counter() - start) * 1000
        results[name] = {"top": int(probabilities.argmax()), "probabilities": labels(probabilities),
                         "parameters": count_params(predictor.model), "test_accuracy": predictor.test_accuracy,
                         "ms": round(elapsed_ms, 3)}
    return results


def cards(state: AppState, results) -> dict:
    """The compare endpoint's JSON as a summary line and, per bundled model, its bars and a caption."""
    if "message" in results:
        return {"summary": f"### {results['message']}",
                **{f"bars {n}": None for n in state.names}, **{f"caption {n}": "" for n in state.names}}
    votes = {}
    for name, r in results.items():
        votes.setdefault(r["top"], []).append(name)
    if len(votes) == 1:
        summary = f"### All {len(results)} models say **{next(iter(votes))}**"
    else:
        summary = "### The models disagree: " + "; ".join(
            f"**{d}** ({', '.join(names)})" for d, names in sorted(votes.items(), key=lambda kv: -len(kv[1])))
    yours = [f"**{n}** says **{r['top']}** ({max(r['probabilities'].values()):.0%}) · test accuracy "
             f"{r['test_accuracy']:.2%}" for n, r in results.items() if n not in state.models]
    out = {"summary": summary + ("\n\nYour models: " + "; ".join(yours) if yours else "")}
    for n in state.names:
        out[f"bars {n}"] = results[n]["probabilities"]
        out[f"caption {n}"] = (f"{results[n]['parameters']:,} parameters · test accuracy "
                               f"{results[n]['test_accuracy']:.2%} · {results[n]['ms']:.2f} ms")
    return out


def architecture_table(state: AppState) -> list[list]:
    rows = []
    for name, entry in MODELS.items():
        model = state.models[name].model if name in state.models else entry.build(0)
        accuracy = state.models[name].test_accuracy if name in state.models else None
        rows.append([name, entry.description, f"{count_params(model):,}", f"{forward_flops(model) / 1e6:.2f} M",
                     f"{entry.tutorial_accuracy}%", f"{accuracy:.2%}" if accuracy else "not bundled"])
    return rows


def build(state: AppState, mine: gr.State) -> SimpleNamespace:
    with gr.Tab("Compare") as tab:
        with gr.Row():
            with gr.Column(scale=1):
                canvas = drawing_canvas()
            with gr.Column(scale=2):
                shown = {"summary": gr.Markdown(f"### {DRAW_HINT}")}
                with gr.Row():
                    for name in state.names:
                        with gr.Column(min_width=120):
                            shown[f"bars {name}"] = gr.Label(num_top_classes=3, label=name)
                            shown[f"caption {name}"] = gr.Markdown()
        with gr.Accordion("Raw results (the compare endpoint's JSON)", open=False):
            shown["raw"] = gr.JSON()
        gr.Dataframe(architecture_table(state), headers=["model", "layers", "parameters", "FLOPs / image",
                                                         "tutorial accuracy", "bundled accuracy"],
                     interactive=False, wrap=True, column_widths=["12%", "40%", "12%", "12%", "12%", "12%"])
        # For API users only: a Sketchpad value or any image in, every model's answer out.
        api_sketch, api_call = sketchpad(visible=False), gr.Button(visible=False)
    canvas.change(event_handler(show, state, shown), [canvas, mine], list(shown.values()), api_name="compare_drawing",
                  api_visibility="undocumented", trigger_mode="always_last", show_progress="hidden",
                  concurrency_id="predict")
    api_call.click(event_handler(compare, state), [api_sketch, mine], shown["raw"], api_name="compare",
                   concurrency_id="predict")
    return SimpleNamespace(tab=tab)
