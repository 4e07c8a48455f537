"""What large uploads cost the running app: its resident memory while several arrive at once (serving.md).

    python -m bench uploads                       # starts python demo/app.py on a free 127.0.0.1 port
    python -m bench uploads --url http://127.0.0.1:7860/ --pid PID    # an app already running

Sends, all at once through gradio_client's `predict` endpoint: four 7000x7000 PNGs (a white page with one
stroke, a few hundred KB each), then sixteen of the largest image the app accepts (4096x4096 RGBA, the same
page). Samples the server's resident memory (/proc/PID/status) every 20 ms and reports the baseline, the peak
during each burst, the answers (refusals included), and a normal prediction right after.
"""

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench import harness
from bench.classroom import a_seven


def add_arguments(p):
    p.add_argument("--url", help="an app already running (default: start one)")
    p.add_argument("--pid", type=int, help="with --url: the app's process id (its resident memory is read)")
    p.add_argument("--tiny", action="store_true", help="one upload per burst: checks that it runs")


def page(path: Path, side: int, mode: str) -> Path:
    """A white page with one dark stroke: small as a PNG, large once decoded."""
    from PIL import Image

    image = Image.new(mode, (side, side), "white")
    stroke = np.asarray(image).copy()
    stroke[side // 4 : 3 * side // 4, side // 2 - side // 60 : side // 2 + side // 60] = 0
    if mode == "RGBA":
        stroke[..., 3] = 255
    Image.fromarray(stroke, mode).save(path)
    return path


def burst(url: str, pid: int, path: Path, n: int) -> dict:
    """``n`` concurrent predictions of ``path``; the server's peak memory meanwhile."""
    from gradio_client import Client, handle_file

    clients = [Client(url, verbose=False) for _ in range(n)]
    peak, done = [harness.resident_mb(pid)], threading.Event()

    def sample():
        while not done.is_set():
            peak.append(harness.resident_mb(pid))
            time.sleep(0.02)

    def call(client):
        start = time.perf_counter()
        try:
            answer = str(client.predict(handle_file(str(path)), "cnn", api_name="/predict"))
        except Exception as e:  # the app's refusal arrives as an error
            answer = f"refused: {e}"
        return time.perf_counter() - start, answer

    before = harness.resident_mb(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(call, clients))
    done.set()
    sampler.join()
    time.sleep(1)
    return dict(
        before=before,
        peak=max(peak),
        after=harness.resident_mb(pid),
        seconds=max(s for s, _ in results),
        answers=sorted({a[:90] for _, a in results}),
    )


def run(args):
    from gradio_client import Client, handle_file
    from PIL import Image

    if bool(args.url) != bool(args.pid):
        raise SystemExit("--url and --pid go together")
    with tempfile.TemporaryDirectory() as tmp, harness.running_app(url=args.url, pid=args.pid) as (pid, url):
        tmp = Path(tmp)
        cases = [
            ("7000x7000 PNG", page(tmp / "page7000.png", 7000, "L"), 1 if args.tiny else 4),
            ("4096x4096 RGBA PNG", page(tmp / "page4096.png", 4096, "RGBA"), 1 if args.tiny else 16),
        ]
        rows = []
        for label, path, n in cases:
            r = burst(url, pid, path, n)
            rows.append(
                [
                    f"{n} x {label}",
                    "; ".join(r["answers"]),
                    f"{path.stat().st_size / 1e3:,.0f} KB",
                    f"{r['before']:,.0f}",
                    f"{r['peak']:,.0f}",
                    f"{r['peak'] - r['before']:,.0f}",
                    f"{r['after']:,.0f}",
                    f"{r['seconds']:.1f}",
                ]
            )
        Image.fromarray(255 - a_seven()).save(tmp / "seven.png")
        start = time.perf_counter()
        answer = Client(url, verbose=False).predict(handle_file(str(tmp / "seven.png")), "cnn", api_name="/predict")
        seconds = time.perf_counter() - start
    header = [
        "burst, all at once",
        "answers",
        "file size",
        "server memory before (MB)",
        "peak (MB)",
        "added at peak (MB)",
        "after (MB)",
        "slowest answer (s)",
    ]
    harness.publish(
        args.docs / "serving.md",
        "uploads",
        args.command,
        harness.table(header, rows, align="ll")
        + f"\n\nA normal prediction right after: {answer['label']} in {seconds:.2f} s.",
    )
