"""What the running app costs per stroke and under a classroom, against a bare Gradio app (serving.md).

    python -m bench classroom                       # starts python demo/app.py on a free 127.0.0.1 port
    python -m bench classroom --url http://127.0.0.1:7860/ --pid PID    # an app already running

In one run, on this machine:
- a bare Gradio app (started here, whose functions return a constant): the server's CPU per event of the page's
  canvas (a gr.HTML whose value is the drawing), the floor of a stroke; per call with an image file, the floor of
  an API call; and per canvas event with 21 more outputs that it leaves unchanged (what each output costs);
- the app: server CPU per send of the canvas while the pen is down, per send at a stroke's end, and per
  `predict` call with an image file (as API users send);
- a classroom: --visitors visitors each sending one finished stroke, or one API call (upload, call, read the
  result), a second, open loop, through Gradio's HTTP API, for --seconds: with nothing else running and while
  another visitor trains a cnn; errors and latency percentiles, and the training run's images/s alone and under
  each load;
- in headless Chromium, the time from opening the page to the prediction of a drawn digit.
Server CPU comes from the processes' own accounting (/proc/PID/stat), so the ratio to the floor is what holds
across machines.
"""

import asyncio
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import harness

PARTIAL_SENDS = 3  # canvas.js sends every 250 ms while the pen is down, and once more when the stroke ends


def add_arguments(p):
    p.add_argument("--url", help="an app already running (default: start one)")
    p.add_argument("--pid", type=int, help="with --url: the app's process id (its CPU time is read)")
    p.add_argument("--n", type=int, default=100, help="calls per CPU measurement")
    p.add_argument("--visitors", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--no-browser", action="store_true", help="skip the page load in Chromium")
    p.add_argument("--train-steps", type=int, default=5000, help="the training run's steps (it must outlast the loads)")


def a_seven() -> np.ndarray:
    ink = np.zeros((336, 336), np.uint8)
    ink[80:100, 90:250] = 255
    for y in range(100, 280):
        x = int(250 - (y - 100) * 0.6)
        ink[y, x - 10 : x + 10] = 255
    return ink


def classroom(url: str, call, visitors: int, seconds: float) -> dict:
    """``visitors`` visitors each making ``call`` (``stroke`` or ``api_predict``) once a second for ``seconds``,
    open loop (a call goes at its time whether or not the last one was answered), through Gradio's HTTP API with
    asyncio: a light load generator, so that on one machine the server, not the generator, is what is measured.
    Each visitor keeps one Gradio session, as a page (or a gradio_client) does."""
    return asyncio.run(_classroom(url.rstrip("/") + "/gradio_api/", call, visitors, seconds))


def stroke(drawing: str):
    """A call that sends ``drawing`` to the page's ``draw`` event, as the canvas does."""

    async def call(client, api, session):
        return await answer(client, api + "call/draw", [drawing, "cnn", "3"], session)

    return call


def api_predict(image: bytes):
    """A call as an API user makes it: upload ``image`` (PNG), call ``predict``, read the result."""

    async def call(client, api, session):
        uploaded = await client.post(api + "upload", files={"files": ("digit.png", image, "image/png")})
        path = uploaded.raise_for_status().json()[0]
        file = {"path": path, "meta": {"_type": "gradio.FileData"}}
        return await answer(client, api + "call/predict", [file, "cnn"], session)

    return call


async def answer(client, endpoint: str, data: list, session: str):
    posted = await client.post(endpoint, json={"data": data, "session_hash": session})
    event = posted.raise_for_status().json()["event_id"]
    async with client.stream("GET", f"{endpoint}/{event}") as stream:
        lines = [line async for line in stream.aiter_lines()]
    if "event: complete" not in lines:
        raise RuntimeError(" ".join(lines)[-100:])


async def _classroom(api: str, call, visitors: int, seconds: float) -> dict:
    import httpx

    latencies, errors = [], []

    async def visit(client, due, visitor):
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        start = time.perf_counter()
        try:
            await call(client, api, f"visitor{visitor}")
            latencies.append(1000 * (time.perf_counter() - start))
        except Exception as e:  # counted, with the first few shown
            errors.append(f"{type(e).__name__}: {e}"[:100])

    start = time.perf_counter() + min(1.0, seconds / 10)  # every call scheduled before the first is due
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4 * visitors)) as client:
        await asyncio.gather(
            *(visit(client, start + k + v / visitors, v) for k in range(int(seconds)) for v in range(visitors))
        )
    return dict(
        sent=visitors * int(seconds),
        answered=len(latencies),
        errors=errors,
        percentiles=harness.percentiles(latencies or [np.nan], 50, 99),
    )


def page_to_prediction(url) -> tuple[float, int]:
    """In headless Chromium: seconds from opening the page to the prediction of a digit drawn in one stroke of
    about a second, and how many events the page sent the server for that stroke."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = harness.chromium(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        events = []
        page.on("request", lambda r: events.append(r.url) if r.method == "POST" and "queue/join" in r.url else None)
        start = time.perf_counter()
        page.goto(url)
        canvas = page.locator("canvas:visible").first
        canvas.wait_for()
        box = canvas.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        events.clear()  # the page's own loading events are not the stroke's
        page.mouse.move(cx - 60, cy - 80)
        page.mouse.down()
        for x, y in [(cx + 60 * t, cy - 80) for t in np.linspace(-1, 1, 6)[1:]] + [
            (cx + 60 - 80 * t, cy - 80 + 170 * t) for t in np.linspace(0, 1, 6)[1:]
        ]:
            page.mouse.move(x, y)
            page.wait_for_timeout(100)
        page.mouse.up()
        label = page.locator(".output-class:visible").first
        page.wait_for_function("el => /^[0-9]$/.test(el.innerText.trim())", arg=label.element_handle())
        elapsed = time.perf_counter() - start
        page.wait_for_timeout(1000)
        browser.close()
    return elapsed, len(events)


TRAINING = dict(model="cnn", batch_size=256)


def with_training(url: str, loads: dict, alone: float, steps: int) -> tuple[dict, dict]:
    """Each of ``loads`` (label -> function) while another visitor trains a cnn through the Train tab's endpoint,
    after ``alone`` seconds of it training with nothing else running. Returns their results, and the run's
    images/s: alone, and the median during each load (from the progress the page shows)."""
    from gradio_client import Client

    from demo.tabs.train import DEFAULT_RECIPE, api_payload

    recipe = DEFAULT_RECIPE.replace(batch_size=TRAINING["batch_size"])
    trainer = Client(url, verbose=False)
    job = trainer.submit(**api_payload(TRAINING["model"], recipe, steps, 50_000), api_name="/train")
    while not any("running" in str(o) for o in job.outputs()):
        if job.done():
            raise RuntimeError(f"the training run did not start: {job.result()}")  # result() raises the app's error
        time.sleep(0.2)

    def images_per_s(since: int) -> float:
        found = [re.search(r"([\d,]+) images/s", str(o[0])) for o in job.outputs()[since:]]
        return float(np.median([float(m.group(1).replace(",", "")) for m in found if m] or [np.nan]))

    try:
        start = len(job.outputs())
        time.sleep(alone)
        speed, results = {"alone": images_per_s(start)}, {}
        for label, load in loads.items():
            start = len(job.outputs())
            results[label] = load()
            speed[label] = images_per_s(start)
            if job.done():
                raise RuntimeError(f"the training run ended before the load {label!r} did: run a shorter load")
        return results, speed
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
    with tempfile.TemporaryDirectory() as tmp, harness.running_app(url=args.url, pid=args.pid) as (pid, url):
        image = Path(tmp) / "seven.png"
        Image.fromarray(255 - seven).save(image)
        floor = harness.gradio_floor(drawing, image, args.n)
        visitor = Client(url, verbose=False)
        harness.settled(pid)  # the app compiles in the background at first: measured once it has finished

        def cpu(*data, api_name):
            return harness.cpu_ms_per_call(pid, lambda: visitor.predict(*data, api_name=api_name), args.n)

        server = {
            "partial": cpu(canvas_value(seven, partial=True), "cnn", "3", api_name="/draw"),
            "end": cpu(drawing, "cnn", "3", api_name="/draw"),
            "predict": cpu(handle_file(str(image)), "cnn", api_name="/predict"),
        }
        loads = {
            "strokes": lambda: classroom(url, stroke(drawing), args.visitors, args.seconds),
            "API predict": lambda: classroom(url, api_predict(image.read_bytes()), args.visitors, args.seconds),
        }
        idle = {label: load() for label, load in loads.items()}
        training, speed = with_training(url, loads, alone=min(10.0, args.seconds), steps=args.train_steps)
        page = None if args.no_browser else page_to_prediction(url)
    harness.publish(
        args.docs / "serving.md", "classroom", args.command, report(args, floor, server, idle, training, speed, page)
    )


def report(args, floor, server, idle, training, speed, page) -> str:
    per_stroke = (PARTIAL_SENDS * server["partial"] + server["end"]) / (PARTIAL_SENDS + 1)
    calls = [
        ("bare Gradio app: the canvas's event (the floor of a stroke)", floor["canvas"], "canvas"),
        ("bare Gradio app: an image file (the floor of an API call)", floor["image"], "image"),
        ("bare Gradio app: the canvas's event with 21 more outputs, unchanged", floor["many_outputs"], "canvas"),
        ("this app: a send while the pen is down (`draw`, partial: the probabilities)", server["partial"], "canvas"),
        ("this app: the send at the stroke's end (`draw`: the Answer view in full)", server["end"], "canvas"),
        (
            f"this app: a stroke of one second ({PARTIAL_SENDS} partial sends and the end), per send",
            per_stroke,
            "canvas",
        ),
        ("this app: `predict` with an image file (API users)", server["predict"], "image"),
    ]
    rows = [
        [label, f"{r['answered']} of {r['sent']}", len(r["errors"]), *(f"{ms:.0f}" for ms in r["percentiles"])]
        for label, r in [
            *((f"{k}, nothing else runs", v) for k, v in idle.items()),
            *((f"{k}, while a cnn trains", v) for k, v in training.items()),
        ]
    ]
    text = (
        f"Server CPU per call (ms, mean of {args.n}), against the bare Gradio app's event with the same input:\n\n"
        + harness.table(
            ["call", "server CPU (ms)", "x its floor"],
            [[label, f"{ms:.1f}", f"{ms / floor[against]:.2f}"] for label, ms, against in calls],
        )
        + f"\n\nClassroom: {args.visitors} visitors, each sending one finished stroke (or one API call) a second "
        f"for {args.seconds:.0f} s, open loop:\n\n"
        + harness.table(["load", "answered", "errors", "p50 (ms)", "p99 (ms)"], rows)
        + f"\n\nThe training run ({TRAINING['model']}, batch {TRAINING['batch_size']}), images/s: "
        + "; ".join(f"{label} {ips:,.0f}" for label, ips in speed.items())
        + "."
    )
    errors = {**{f"{k}, idle": v for k, v in idle.items()}, **{f"{k}, training": v for k, v in training.items()}}
    text += "".join(
        f"\n\nFirst errors ({label}): {'; '.join(r['errors'][:3])}" for label, r in errors.items() if r["errors"]
    )
    if page is not None:
        text += (
            f"\n\nIn headless Chromium: opening the page, drawing a 7 in one stroke of about a second and seeing its "
            f"prediction took {page[0]:.2f} s; the page sent {page[1]} events for the stroke."
        )
    return text
