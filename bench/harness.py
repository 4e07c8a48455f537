"""What every subcommand shares, so that each holds only what it measures: timing after warm-up, percentiles,
a process's CPU and memory from /proc, the app started as a user starts it, the bare-Gradio floor, tables,
JSON and the docs page sections.

Imports only the standard library and numpy at the top: the peer worker (``bench.peers``) runs in another
virtualenv, and the app's code is slow to import."""

import datetime
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
APP = ROOT / "demo" / "app.py"


def timed(fn, inputs, warmup: int = 1) -> tuple[list, np.ndarray]:
    """``fn`` on each of ``inputs``: the results and the milliseconds of each call, after ``warmup`` untimed
    calls on the first input (compilation and caches are not what is measured)."""
    for _ in range(warmup):
        fn(inputs[0])
    results, ms = [], []
    for x in inputs:
        start = time.perf_counter()
        results.append(fn(x))
        ms.append(1000 * (time.perf_counter() - start))
    return results, np.array(ms)


def latencies(fn, repeats: int) -> np.ndarray:
    """Milliseconds of each of ``repeats`` calls of ``fn()`` after one warm-up call."""
    return timed(lambda _: fn(), range(repeats))[1]


def percentiles(values, *qs) -> list[float]:
    return [float(np.percentile(values, q)) for q in qs]


def per_step_ms(ticks, steps: int) -> float:
    """Median milliseconds per step between ``ticks`` (seconds, one every ``steps`` steps). The first tick
    ends the warm-up window, which holds the compilation and is never counted."""
    return statistics.median(np.diff(ticks)) / steps * 1000


def windowed(step, windows: int, steps: int) -> float:
    """``per_step_ms`` of ``step()`` over ``windows`` windows of ``steps`` calls, after a warm-up window."""
    ticks = []
    for _ in range(windows + 1):
        for _ in range(steps):
            step()
        ticks.append(time.perf_counter())
    return per_step_ms(ticks, steps)


def cpu_seconds(pid: int) -> float:
    """The process's own CPU time (user + system): what a server spends, whoever else shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled(pid: int, share: float = 0.05, window: float = 0.5, timeout: float = 120) -> None:
    """Waits until the process uses under ``share`` of a core over ``window`` seconds: an app that serves first
    and compiles in the background is measured once it has finished, not while it compiles."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < share * window:
            return
    raise RuntimeError(f"process {pid} stayed busy for {timeout:.0f} s")


def cpu_ms_per_call(pid: int, call, n: int) -> float:
    """Server CPU milliseconds per call, over ``n`` sequential calls after one warm-up."""
    call()
    before = cpu_seconds(pid)
    for _ in range(n):
        call()
    return (cpu_seconds(pid) - before) / n * 1000


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(app: Path, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """``python demo/app.py`` as a user starts it from the folder above ``app``, with ``env`` and its output in
    ``log``; returns the process and its URL once it answers."""
    port = free_port()
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    root = app.parent.parent
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, str(app.relative_to(root))],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: ``stop_app`` ends what it forked too
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(
                    f"the app did not start (exit code {process.poll()}): {log.read_text()[-3000:]}"
                ) from None
            time.sleep(0.1)


def stop_app(process: subprocess.Popen) -> None:
    """Ends an app started by ``start_app`` and every process it forked and left behind (ZeroGPU's worker)."""
    process.terminate()
    process.wait(timeout=30)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # nothing was left
        pass


@contextmanager
def running_app(app: Path = APP, url: str | None = None, pid: int | None = None):
    """(pid, url) of the app: the one given, or ``app`` started on a free 127.0.0.1 port and stopped on leaving."""
    if url:
        yield pid, url
        return
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_app(app, {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1"}, Path(tmp) / "app.log")
        try:
            yield process.pid, url
        finally:
            stop_app(process)


BARE_APP = """
import gradio as gr
with gr.Blocks() as demo:
    canvas = gr.HTML("")  # the page's canvas: its value is the drawing (demo/canvas.js)
    image = gr.Image(type="filepath")  # what API users send
    out = gr.Label()
    canvas.change(lambda value: {"7": 1.0}, canvas, out, api_name="canvas")
    image.change(lambda path: {"7": 1.0}, image, out, api_name="image")
    unchanged = [gr.HTML() for _ in range(21)]  # what each output of an event costs, changed or not
    canvas.input(lambda value: {out: {"7": 1.0}}, canvas, [out, *unchanged], api_name="canvas_many_outputs")
demo.queue(default_concurrency_limit=4).launch()
"""


def gradio_floor(drawing: str, image: Path, n: int) -> dict[str, float]:
    """Server CPU ms per call of a bare Gradio app, started here, whose functions return a constant: the least an
    event of the page's canvas costs (``drawing``, its value), the least an API call with an image file costs
    (``image``), and the canvas's event with 21 more outputs left unchanged."""
    from gradio_client import Client, handle_file

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bare").mkdir()
        (Path(tmp) / "bare" / "app.py").write_text(BARE_APP)
        with running_app(Path(tmp) / "bare" / "app.py") as (pid, url):
            client = Client(url, verbose=False)
            settled(pid)
            return {
                "canvas": cpu_ms_per_call(pid, lambda: client.predict(drawing, api_name="/canvas"), n),
                "image": cpu_ms_per_call(pid, lambda: client.predict(handle_file(str(image)), api_name="/image"), n),
                "many_outputs": cpu_ms_per_call(
                    pid, lambda: client.predict(drawing, api_name="/canvas_many_outputs"), n
                ),
            }


CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright drives it, no `playwright install`


def chromium(playwright):
    """Debian's Chromium, headless, as the bench and the browser tests open the page."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


def table(header: list[str], rows: list[list], align: str = "l") -> str:
    """A Markdown table; ``align`` has an "l" for each text column and an "r" for each figure, in order, and the
    columns past its end are figures."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "".join("---|" if a == "l" else "---:|" for a in align.ljust(len(header), "r")),
    ]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def machine() -> str:
    """One line naming the machine and the date: the CPU, its cores and widest vector unit, and the device when
    JAX runs on an accelerator (figures from different machines are not comparable)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    found = {key: re.search(rf"^{key}\s*:\s*(.*)$", info, re.M) for key in ("model name", "flags")}
    flags = set(found["flags"].group(1).split()) if found["flags"] else set()
    vector = "AVX-512" if "avx512f" in flags else "AVX2 (no AVX-512)" if "avx2" in flags else "no AVX2"
    cpu = found["model name"].group(1) if found["model name"] else "unknown CPU"
    line = f"Machine: {cpu}, {len(os.sched_getaffinity(0))} cores, {vector}"
    jax = sys.modules.get("jax")  # only a subcommand that ran JAX names its device
    if jax is not None and jax.default_backend() != "cpu":
        line += (
            f"; {jax.device_count()} x {jax.devices()[0].device_kind} ({jax.default_backend()}, jax {jax.__version__})"
        )
    return f"{line}; {datetime.date.today().isoformat()}."


def command_line(argv: list[str]) -> str:
    """The command as a reader would rerun it: ``--docs`` only says where the section went."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--docs="):
            skip = False
        elif arg == "--docs":
            skip = True
        else:
            kept.append(arg)
    return f"python -m bench {shlex.join(kept)}"


def write_section(page: Path, name: str, command: str, markdown: str) -> None:
    """Puts ``markdown`` between ``<!-- bench NAME: COMMAND -->`` and ``<!-- /bench NAME -->`` in ``page``,
    replacing what was there, or appends the section (and makes the page) when the markers are absent."""
    opening, closing = f"<!-- bench {name}: {command} -->", f"<!-- /bench {name} -->"
    text = page.read_text() if page.is_file() else f"# {page.stem.replace('_', ' ').capitalize()}\n"
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.fullmatch(rf"<!-- bench {re.escape(name)}(:.*)? -->", line.strip())),
        None,
    )
    end = None if start is None else next((i for i in range(start, len(lines)) if lines[i].strip() == closing), None)
    section = [opening, *markdown.strip("\n").splitlines(), closing]
    if end is None:
        lines += ["", *section]
    else:
        lines[start : end + 1] = section
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines) + "\n")


def publish(page: Path, name: str, command: str, markdown: str) -> None:
    """Prints the section (the machine's line, then ``markdown``) and writes it into ``page``."""
    section = f"{machine()}\n\n{markdown.strip()}\n"
    print(section, flush=True)
    write_section(page, name, command, section)


def write_json(path: Path, figures) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1))


def note(text: str) -> None:
    """Progress of a long run, on stderr: stdout holds the tables."""
    print(text, file=sys.stderr, flush=True)
