"""ZeroGPU: on a Space with ZeroGPU hardware, a visitor's training run (and the hidden-units experiment) runs on
the GPU slice inside ``@spaces.GPU``, while drawings and API calls stay on the main process's CPU, so the
daily GPU quota goes to training only. Elsewhere (CPU hardware, a laptop) ``spaces`` does nothing and the
Train tab trains in a worker process on the CPU (``job_process``), at idle priority.

The slice's worker is a fork of the app, and JAX cannot start a GPU in a fork of a process that already
runs on the CPU: the run goes to a fresh process (``job_process``). A run the slice refuses (no GPU free,
the quota spent) runs on the CPU instead, and says so.
"""

import os

import jax
import spaces

from mnist_flax import job_process

ON_ZERO_GPU = os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")  # as spaces reads it
START_SECONDS = 30  # a fresh process: start, load MNIST
COMPILE_SECONDS = 10  # per model: compile, and test at the end
SECONDS_PER_STEP = 0.02  # a pessimistic GPU step: the largest model at the largest batch
SWEEP_WIDTHS = 7  # hidden_units_sweep's models, in one process
MAX_SECONDS = 300  # what one run may ask of the slice


def gpu_seconds(request: dict) -> int:
    """The slice a run asks for, from its steps (and the Train tab's time cap): quota is spent on what is
    asked, so ask for what the run needs."""
    models = SWEEP_WIDTHS if request["kind"] == "hidden_units" else 1
    needed = START_SECONDS + models * (COMPILE_SECONDS + SECONDS_PER_STEP * request["steps"])
    if "limits" in request:
        needed = min(needed, START_SECONDS + COMPILE_SECONDS + request["limits"]["max_seconds"])
    return int(min(needed, MAX_SECONDS))


@spaces.GPU(duration=gpu_seconds)
def on_the_gpu(request: dict):
    """The run in a fresh process that finds the slice's GPU (or, failing that, the CPU, and says so). Its
    time cap is what the slice was asked for, so that it stops itself, tested and with its weights, before
    the slice is taken back."""
    if "limits" in request:
        allowed = gpu_seconds(request) - START_SECONDS  # the run's clock starts before it compiles
        request = {**request, "limits": {**request["limits"], "max_seconds": allowed}}
    yield from job_process.stream(request, {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"})


def on_the_cpu(request: dict):
    yield from job_process.stream(request, {**os.environ, "JAX_PLATFORMS": "cpu"})


def run(request: dict):
    """A run's messages: from the GPU slice, or from the CPU when the slice refuses the run before it
    starts; then the first message is a note that says why."""
    started = False
    try:
        for message in on_the_gpu(request):
            started = True
            yield message
    except Exception as refused:  # spaces' gr.Error: no GPU free, the quota spent, the scheduler unreachable
        if started:
            raise
        reason = getattr(refused, "message", None) or str(refused) or type(refused).__name__
        yield {"note": f"The GPU was not available ({reason}), so this run is on the CPU."}
        yield from on_the_cpu(request)


def _name_the_gpu(nvidia_uuid: str) -> None:
    """spaces names the slice's GPU to torch only (CUDA_VISIBLE_DEVICES, in its torch set-up, which is a
    no-op without torch); this names it to the run's process, which inherits the worker's environment."""
    os.environ["CUDA_VISIBLE_DEVICES"] = nvidia_uuid


if ON_ZERO_GPU:
    from spaces.zero import torch as spaces_torch_setup

    spaces_torch_setup.init = _name_the_gpu
    jax.config.update("jax_platforms", "cpu")  # the app's own process has no GPU on ZeroGPU
    if hasattr(spaces, "disable_gradio_auto_wrap"):
        spaces.disable_gradio_auto_wrap()  # only the training functions take the GPU
