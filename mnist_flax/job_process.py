"""A Train-tab run in a process of its own, streaming its progress as JSON lines.

Two reasons for a process of its own. On 2 cores a run in the app's process took both of them from every
visitor's drawing; the worker puts itself in the idle scheduling class (``yield_the_cpu``), so the
app's predictions take the CPU whenever they need it and the run trains on what is left (serving.md has
the figures). And a ZeroGPU Space lends its GPU to a fork of the app, where JAX cannot start a GPU in a
process that already runs on the CPU (it hangs): a fresh interpreter finds the GPU when it is there and
the CPU otherwise, and says which. ``stream`` starts one and yields its messages;
``RemoteJob`` has ``TrainingJob``'s face, so the Train tab reads either the same way; control goes through a
file (stop, a new learning rate), which any process can append to.

The worker, ``python -m mnist_flax.job_process``, reads one request (JSON) on stdin: ``{"kind": "train",
"model", "recipe", "steps", "train_size", "seed", "limits", "control", "weights"}`` or ``{"kind":
"hidden_units", "steps", "control"}``.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from mnist_flax.jobs import JobProgress, Limits, TrainSettings

QUIET_SECONDS = 300  # a worker that says nothing for this long is stuck: it is killed
SHOWN_UNITS = 64  # first-layer units sent with each update (the page shows this many)


def request_for(settings: TrainSettings, limits: Limits, control: Path, weights: Path) -> dict:
    return {
        "kind": "train",
        "model": settings.model,
        "recipe": settings.recipe.as_dict(),
        "steps": settings.steps,
        "train_size": settings.train_size,
        "seed": settings.seed,
        "limits": limits.__dict__,
        "control": str(control),
        "weights": str(weights),
    }


_spare = None  # (process, its stderr file, the environment it started in): a worker ready for the next run
_spare_lock = threading.Lock()


def _start(env: dict | None):
    errors = tempfile.TemporaryFile("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "mnist_flax.job_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],  # where mnist_flax is, installed or not (a Space)
    )
    return process, errors, dict(os.environ) if env is None else env


def _worker(env: dict | None):
    """A worker for a run. In this process's environment, the one started ahead (its imports done, at idle
    priority, while the last run went), and another is started for the next run: a run starts seconds sooner.
    In another environment (the GPU slice's), a fresh one."""
    global _spare
    if env is not None:
        return _start(env)[:2]
    with _spare_lock:
        ready = _spare
        if ready is None or ready[0].poll() is not None or ready[2] != dict(os.environ):
            if ready is not None:
                ready[0].kill()
                ready[1].close()
            ready = _start(None)
        _spare = _start(None)
    return ready[:2]


def stream(request: dict, env: dict | None = None) -> Iterator[dict]:
    """Runs a worker on ``request`` (in ``env``) and yields its messages; a worker that fails or falls
    silent for ``QUIET_SECONDS`` raises RuntimeError, and a worker left behind is killed."""
    process, errors = _worker(env)
    with errors:
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.close()
        silent = threading.Event()

        def silence():
            silent.set()
            process.kill()

        watchdog = threading.Timer(QUIET_SECONDS, silence)
        try:
            watchdog.start()
            for line in process.stdout:
                watchdog.cancel()
                watchdog = threading.Timer(QUIET_SECONDS, silence)
                watchdog.start()
                yield json.loads(line)
            process.wait(timeout=QUIET_SECONDS)
        finally:  # also when the reader stops early: no worker is left behind
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
            process.wait()
        if process.returncode != 0:
            errors.seek(0)
            why = f"it said nothing for {QUIET_SECONDS} s" if silent.is_set() else errors.read()[-2000:]
            raise RuntimeError(f"the training process failed: {why}")


class RemoteJob(JobProgress):
    """A ``TrainingJob`` that runs where ``source(request)`` runs it (``stream``, or that inside a GPU
    function), read from its messages: the same status, history, first-layer weights and results."""

    def __init__(
        self, settings: TrainSettings, available: int, limits: Limits, source: Callable[[dict], Iterator[dict]] = stream
    ):
        settings.check(limits, available)
        self.settings, self.limits, self.source = settings, limits, source
        folder = Path(tempfile.mkdtemp(prefix="mnist_flax_job_"))
        self.control, self._weights = folder / "control", folder / "weights.safetensors"
        self.control.touch()
        self.status, self.message, self.history = "queued", "", []
        self.device, self.note, self.first_layer, self.evaluation = None, None, None, None

    def stop(self) -> None:
        self._command("stop")

    def set_learning_rate(self, learning_rate: float) -> None:
        self.limits.check_learning_rate(learning_rate)
        self._command(f"learning_rate {float(learning_rate)!r}")

    def _command(self, line: str) -> None:
        with open(self.control, "a") as control:
            control.write(line + "\n")

    def train(self) -> Iterator["RemoteJob"]:
        self.status = "starting"  # until the worker says it runs: a process to start, MNIST to load
        try:
            for message in self.source(request_for(self.settings, self.limits, self.control, self._weights)):
                self.device, self.note = message.get("device", self.device), message.get("note", self.note)
                self.history += message.get("history", [])
                self.status, self.message = message.get("status", self.status), message.get("message", self.message)
                if "first_layer" in message:
                    self.first_layer = decode(message["first_layer"])
                if "evaluation" in message:
                    found = message["evaluation"]
                    self.evaluation = SimpleNamespace(
                        accuracy=found["accuracy"], confusion=np.array(found["confusion"])
                    )
                yield self
        except RuntimeError as e:
            self.status, self.message = "failed", f"The run's process failed: {e}"
        finally:
            if self.evaluation is None:  # nothing to keep: diverged, failed, or left
                shutil.rmtree(self.control.parent, ignore_errors=True)
        if not self.done:
            self.status, self.message = "failed", "The run's process ended before the run did."
        yield self

    def save_weights(self, path) -> Path:
        """Moves the trained weights to ``path`` (once)."""
        os.replace(self._weights, path)
        shutil.rmtree(self.control.parent, ignore_errors=True)
        return Path(path)


def remote_sweep(steps: int, control: Path, source: Callable[[dict], Iterator[dict]] = stream):
    """``hidden_units_sweep`` where ``source`` runs it: (width, test accuracy), point by point."""
    for message in source({"kind": "hidden_units", "steps": steps, "control": str(control)}):
        if "point" in message:
            yield tuple(message["point"])


def encode(array: np.ndarray) -> dict:
    small = np.asarray(array, np.float16)
    return {"shape": small.shape, "data": base64.b64encode(small.tobytes()).decode()}


def decode(message: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(message["data"]), np.float16).reshape(message["shape"]).astype(np.float32)


class Commands:
    """The control file's lines not read yet."""

    def __init__(self, path: Path):
        self.path, self.read = Path(path), 0

    def new(self) -> list[str]:
        lines = self.path.read_text().splitlines() if self.path.is_file() else []
        fresh, self.read = lines[self.read :], len(lines)
        return fresh


CHANNEL = sys.stdout  # the worker's messages; everything else the process prints goes to stderr (``main``)


def emit(message: dict) -> None:
    print(json.dumps(message), file=CHANNEL, flush=True)


def yield_the_cpu() -> None:
    """Puts every thread of this process in the idle scheduling class (nice 19 where there is none): any other
    work on the machine, such as the app answering drawings, runs first. Threads started later (XLA's) inherit
    it; those already there (numpy's, started by the imports) are set one by one."""
    try:
        for thread in os.listdir("/proc/self/task"):
            os.sched_setscheduler(int(thread), os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(19)


def main() -> None:
    """The worker's entry: it yields the CPU to the app, its messages get stdout to themselves, and it dies with
    the process that started it."""
    global CHANNEL
    yield_the_cpu()
    CHANNEL = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints and native logs
    parent = os.getppid()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(5)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    import jax  # a worker started ahead (``_worker``) loads JAX and starts its backend while it waits for a run

    jax.devices()
    work(json.loads(sys.stdin.readline()))


def work(request: dict) -> None:
    """The worker: runs ``request``, emitting its progress, obeying the control file."""
    import jax

    from mnist_flax.data import load_mnist
    from mnist_flax.jobs import TrainingJob, hidden_units_sweep
    from mnist_flax.prediction import enable_compilation_cache
    from mnist_flax.recipe import Recipe

    enable_compilation_cache()  # each run is a fresh process: a model trained before starts without compiling

    lent = os.environ.get("CUDA_VISIBLE_DEVICES")
    if lent and jax.default_backend() == "cpu":  # the slice named a GPU that JAX cannot use
        emit({"device": "cpu", "note": f"The GPU {lent} was lent to this run, but JAX could not use it."})
    else:
        emit({"device": jax.default_backend()})
    commands, data, stop = Commands(request["control"]), load_mnist(), threading.Event()
    if request["kind"] == "hidden_units":
        for point in hidden_units_sweep(data, steps=request["steps"], stop=stop):
            emit({"point": point})
            if "stop" in commands.new():
                stop.set()
        return
    settings = TrainSettings(
        request["model"], Recipe(**request["recipe"]), request["steps"], request["train_size"], request["seed"]
    )
    job, sent = TrainingJob(settings, data, Limits(**request["limits"])), 0
    for _ in job.train():
        for command in commands.new():
            if command == "stop":
                job.stop()
            elif command.startswith("learning_rate "):
                job.set_learning_rate(float(command.split()[1]))
        emit(
            {
                "history": job.history[sent:],
                "status": job.status,
                "message": job.message,
                "first_layer": encode(job.first_layer[:SHOWN_UNITS]),
            }
        )
        sent = len(job.history)
    if job.run.evaluation is not None:
        job.run.save_weights(request["weights"])
        emit(
            {
                "evaluation": {
                    "accuracy": job.run.evaluation.accuracy,
                    "confusion": job.run.evaluation.confusion.tolist(),
                }
            }
        )


if __name__ == "__main__":
    main()
