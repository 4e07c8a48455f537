"""What the running app costs per stroke and under a classroom, against a bare Gradio app (serving.md).

    python -m bench classroom                       # starts python demo/app.py on a free 127.0.0.1 port
    python -m bench classroom --url http://127.0.0.1:7860/ --pid PID    # an app already running

In one run, on this machine:
- a bare Gradio app (started here, one Sketchpad whose function returns a constant): the server's CPU per call
  with one composite image, the least any Sketchpad event costs (the floor); the same event with the three
  images a browser sends, and with 21 more outputs that it leaves unchanged (what each output of an event costs);
- the app: server CPU per stroke as the page makes it (the canvas's `draw` event) and per `predict` call with
  an image file (as API users send);
- a classroom: --visitors visitors each sending one stroke a second (open loop, through Gradio's HTTP API)
  for --seconds, with nothing else running and while another visitor trains a cnn: errors and latency
  percentiles;
- in headless Chromium, the time from opening the page to the prediction of a drawn digit.
Server CPU comes from the processes' own accounting (/proc/PID/stat), so the ratio to the floor is what holds
across machines.
"""

import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import harness


def add_arguments(p):
    p.add_argument("--url", help="an app already running (default: start one)")
    p.add_argument("--pid", type=int, help="with --url: the app's process id (its CPU time is read)")
    p.add_argument("--n", type=int, default=100, help="calls per CPU measurement")
    p.add_argument("--visitors", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--no-browser", action="store_true", help="skip the page load in Chromium")


def a_seven() -> np.ndarray:
    ink = np.zeros((336, 336), np.uint8)
    ink[80:100, 90:250] = 255
    for y in range(100, 280):
        x = int(250 - (y - 100) * 0.6)
        ink[y, x - 10 : x + 10] = 255
    return ink


def classroom(url: str, drawing: str, visitors: int, seconds: float) -> dict:
    """``visitors`` visitors each sending a stroke every second for ``seconds``, open loop (a stroke goes at its
    time whether or not the last one was answered), through Gradio's HTTP API with asyncio: a light load
    generator, so that on one machine the server, not the generator, is what is measured."""
    return asyncio.run(_classroom(url.rstrip("/") + "/gradio_api/call/draw", drawing, visitors, seconds))


async def _classroom(endpoint: str, drawing: str, visitors: int, seconds: float) -> dict:
    import httpx

    latencies, errors = [], []

    async def stroke(client, due):
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        start = time.perf_counter()
        try:
            posted = await client.post(endpoint, json={"data": [drawing, "cnn", "3"]})
            event = posted.raise_for_status().json()["event_id"]
            async with client.stream("GET", f"{endpoint}/{event}") as stream:
                lines = [line async for line in stream.aiter_lines()]
            if "event: complete" not in lines:
                raise RuntimeError(" ".join(lines)[-100:])
            latencies.append(1000 * (time.perf_counter() - start))
        except Exception as e:  # counted, with the first few shown
            errors.append(f"{type(e).__name__}: {e}"[:100])

    start = time.perf_counter() + 1
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4 * visitors)) as client:
        await asyncio.gather(
            *(stroke(client, start + k + v / visitors) for k in range(int(seconds)) for v in range(visitors))
        )
    return dict(
        sent=visitors * int(seconds),
        answered=len(latencies),
        errors=errors,
        percentiles=harness.percentiles(latencies or [np.nan], 50, 99),
    )


def page_to_prediction(url) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = harness.chromium(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        start = time.perf_counter()
        page.goto(url)
        canvas = page.locator("canvas:visible").first
        canvas.wait_for()
        box = canvas.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(cx - 60, cy - 80)
        page.mouse.down()
        page.mouse.move(cx + 60, cy - 80, steps=5)
        page.mouse.move(cx - 20, cy + 90, steps=5)
        page.mouse.up()
        label = page.locator(".output-class:visible").first
        page.wait_for_function("el => /^[0-9]$/.test(el.innerText.trim())", arg=label.element_handle())
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def with_training(url: str, load):
    """``load()`` while another visitor trains a cnn through the Train tab's endpoint."""
    from gradio_client import Client

    from demo.tabs.train import DEFAULT_RECIPE, api_payload

    trainer = Client(url, verbose=False)
    job = trainer.submit(**api_payload("cnn", DEFAULT_RECIPE, steps=5000, train_size=50_000), api_name="/train")
    while not any("running" in str(o) for o in job.outputs()):
        if job.done():
            raise RuntimeError(f"the training run did not start: {job.result()}")  # result() raises the app's error
        time.sleep(0.2)
    try:
        return load()
    finally:
        trainer.predict(api_name="/stop_training")
        list(job)


def run(args):
    from gradio_client import Client, handle_file
    from PIL import Image

    from demo.canvas import canvas_value  # the page's own encoding of a drawing

    if bool(args.url) != bool(args.pid):
        raise SystemExit("--url and --pid go together")
    seven = a_seven()
    drawing = canvas_value(seven)
    floor = harness.gradio_floor(seven, args.n)
    with tempfile.TemporaryDirectory() as tmp, harness.running_app(url=args.url, pid=args.pid) as (pid, url):
        image = Path(tmp) / "seven.png"
        Image.fromarray(255 - seven).save(image)
        visitor = Client(url, verbose=False)
        stroke = harness.cpu_ms_per_call(pid, lambda: visitor.predict(drawing, "cnn", "3", api_name="/draw"), args.n)
        api = harness.cpu_ms_per_call(
            pid, lambda: visitor.predict(handle_file(str(image)), "cnn", api_name="/predict"), args.n
        )
        loads = {
            "nothing else runs": classroom(url, drawing, args.visitors, args.seconds),
            "another visitor trains a cnn": with_training(
                url, lambda: classroom(url, drawing, args.visitors, args.seconds)
            ),
        }
        page = None if args.no_browser else page_to_prediction(url)
    calls = [
        ("bare Gradio Sketchpad event, one composite image (the floor)", floor["floor"]),
        ("bare Gradio Sketchpad event, the three images a browser sends", floor["browser"]),
        ("bare Gradio Sketchpad event, 22 outputs of which 1 changes", floor["many_outputs"]),
        ("this app, one stroke as the page makes it (`draw`)", stroke),
        ("this app, `predict` with an image file (API users)", api),
    ]
    text = (
        f"Server CPU per call (ms, mean of {args.n}):\n\n"
        + harness.table(
            ["call", "server CPU (ms)", "x the floor"],
            [[call, f"{ms:.1f}", f"{ms / floor['floor']:.2f}"] for call, ms in calls],
        )
        + f"\n\nClassroom: {args.visitors} visitors x 1 stroke/s for {args.seconds:.0f} s (open loop):\n\n"
        + harness.table(
            ["while", "answered", "errors", "p50 (ms)", "p99 (ms)"],
            [
                [label, f"{r['answered']} of {r['sent']}", len(r["errors"]), *(f"{ms:.0f}" for ms in r["percentiles"])]
                for label, r in loads.items()
            ],
        )
    )
    text += "".join(
        f"\n\nFirst errors while {label}: {'; '.join(r['errors'][:3])}" for label, r in loads.items() if r["errors"]
    )
    if page is not None:
        text += f"\n\nOpening the page, drawing a digit and seeing its prediction in headless Chromium: {page:.2f} s."
    harness.publish(args.docs / "serving.md", "classroom", args.command, text)
