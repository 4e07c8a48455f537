"""Gradio glue: plain handlers as event functions, the image input that reads files with bounded memory,
and the value of a gr.Label."""

import inspect

import gradio as gr

from demo.state import AppState


def labels(probabilities) -> dict[str, float]:
    return {str(i): float(p) for i, p in enumerate(probabilities)}


class ImageInput(gr.Image):
    """Gradio's Image input (a file, a URL, the webcam), passing the file's path without opening it:
    ``read_image`` then reads it with bounded memory, refusing a huge image from its header and saying
    clearly what is wrong with a file that is not an image."""

    is_template = True  # the page renders it as Gradio's own Image (get_block_name)

    def preprocess(self, payload):
        if payload is None or payload.path is None:  # nothing, or a data: URL (decoded by Gradio)
            return super().preprocess(payload)
        return payload.path


def event_handler(fn, state: AppState, components: dict | None = None, inputs: dict | None = None):
    """``fn(state, *inputs)`` as a Gradio event function: ``state`` given, and with ``components``
    its results (dicts keyed by name, or a generator of them) keyed by component instead; names a
    result leaves out stay as they are on the page. With ``inputs`` (name -> component, in the order the
    event passes them) ``fn`` takes them by those names, and so does the event's API. The signature keeps
    ``fn``'s ``gr.Request`` and ``gr.SelectData`` parameters, for Gradio reads it to pass them, and
    generators stream."""
    parameters = list(inspect.signature(fn).parameters.values())[1:]
    if inputs is not None:
        special = [p for p in parameters if p.annotation in (gr.Request, gr.SelectData)]
        parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in inputs] + special
    names = [p.name for p in parameters]

    def call(args):
        return fn(state, *args) if inputs is None else fn(state, **dict(zip(names, args)))

    def convert(result):
        return result if components is None else {components[name]: value for name, value in result.items()}

    if inspect.isgeneratorfunction(fn):

        def wrapped(*args):
            for result in call(args):
                yield convert(result)
    else:

        def wrapped(*args):
            return convert(call(args))

    wrapped.__signature__ = inspect.Signature(parameters)
    wrapped.__annotations__ = {p.name: p.annotation for p in parameters if p.annotation is not inspect.Parameter.empty}
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__  # MCP names and describes tools by these
    return wrapped
