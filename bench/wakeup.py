"""How fast the app wakes: from process start to answering a first drawing, with an empty compilation cache
(what a Space sees after sleeping) and with a warm one (serving.md).

    python -m bench wakeup

Each start is ``python demo/app.py`` with a HOME of its own (the compilation cache and every other cache in
it): the first start finds it empty, the second finds what the first left. The clock starts with the process;
the app's page is polled (``harness.start_app``) and, as soon as it answers, a drawing is sent through the page's own
``draw`` event, then an example (whose answer the app keeps). Against the same machine's time to import the
app's modules (``python -c "import demo.app"``), the least any start can take.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import harness


def add_arguments(p):
    p.add_argument("--repeats", type=int, default=3, help="imports timed this many times (the median is kept)")
    p.add_argument(
        "--tiny", action="store_true", help="imports once, and one start with this HOME: checks that it runs"
    )


def imports_seconds(repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import demo.app"], cwd=harness.ROOT, check=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def draw(url: str, drawing: str) -> None:
    """One stroke through the page's ``draw`` event, waited for; raises unless it completes."""
    endpoint = url + "gradio_api/call/draw"
    posted = urllib.request.Request(
        endpoint, json.dumps({"data": [drawing, "cnn", "3"]}).encode(), {"Content-Type": "application/json"}
    )
    event = json.loads(urllib.request.urlopen(posted, timeout=120).read())["event_id"]
    answer = urllib.request.urlopen(f"{endpoint}/{event}", timeout=120).read().decode()
    if "event: complete" not in answer:
        raise RuntimeError(f"the drawing was not answered: {answer[-300:]}")


def wake(home: Path, drawing: str, example: str, log: Path) -> dict:
    """Starts the app with ``home`` as HOME (None: this one, with its caches); seconds from the process's start to
    its page answering HTTP, to its answer to ``drawing``, then to an example's, then to the end of its warm-up
    (every view compiled)."""
    from demo.state import WARM

    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1"}
    if home is not None:
        env["HOME"] = str(home)
        env.pop("MNIST_FLAX_CACHE_DIR", None)
    start = time.perf_counter()
    process, url = harness.start_app(harness.APP, env, log)  # returns once the page answers
    try:
        page = time.perf_counter() - start
        draw(url, drawing)
        answered = time.perf_counter() - start
        draw(url, example)
        example_answered = time.perf_counter() - start
        while WARM not in log.read_text():
            if process.poll() is not None or time.perf_counter() - start > 300:
                raise RuntimeError(f"the warm-up did not end: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        return {"page": page, "drawing": answered, "example": example_answered, "warm": time.perf_counter() - start}
    finally:
        harness.stop_app(process)


def run(args):
    from bench.classroom import a_seven
    from demo.canvas import canvas_value
    from demo.tabs.draw import EXAMPLE_VALUES

    imports = None if args.tiny else imports_seconds(args.repeats)
    drawing, example = canvas_value(a_seven()), next(iter(EXAMPLE_VALUES.values()))
    with tempfile.TemporaryDirectory() as tmp:
        home, log = Path(tmp) / "home", Path(tmp) / "app.log"
        home.mkdir()
        if args.tiny:
            starts = {"this machine's caches as they are": wake(None, drawing, example, log)}
        else:
            starts = {
                "empty compilation cache (a Space after sleeping)": wake(home, drawing, example, log),
                "warm compilation cache (a restart)": wake(home, drawing, example, log),
            }
    rows = [
        [
            label,
            f"{s['page']:.1f}",
            f"{s['drawing']:.1f}",
            "-" if imports is None else f"{s['drawing'] - imports:.1f}",
            f"{s['example']:.1f}",
            f"{s['warm']:.1f}",
        ]
        for label, s in starts.items()
    ]
    text = (
        (
            "Importing the app's modules: not timed (--tiny).\n\n"
            if imports is None
            else f'Importing the app\'s modules (`python -c "import demo.app"`, median of {args.repeats}): '
            f"{imports:.1f} s.\n\n"
        )
        + "Seconds from the process's start:\n\n"
        + harness.table(
            [
                "start",
                "page answers",
                "first drawing answered",
                "of which after the imports",
                "then an example",
                "every view compiled",
            ],
            rows,
        )
    )
    harness.publish(args.docs / "serving.md", "wakeup", args.command, text)
