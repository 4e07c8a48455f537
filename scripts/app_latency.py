"""What the running app costs per stroke and how it holds up under a classroom, against a bare Gradio app.

    python demo/app.py &
    python scripts/app_latency.py --pid $(pgrep -f demo/app.py)          # --url http://127.0.0.1:7860/

In one run, on this machine:
- a bare Gradio app (started here, one Sketchpad whose function returns a constant): the server's CPU per
  call with one composite image, the least any Sketchpad event costs (the floor);
  the same event with 21 more outputs that it leaves unchanged (what each output of an event costs);
- the app: server CPU per stroke as the page makes it (the canvas's `draw` event: label, what the model
  sees and saliency), and per `predict` call with a full Sketchpad value (three images, as API users send);
- a classroom: --visitors visitors each sending one stroke a second (open loop, through Gradio's HTTP API)
  for --seconds while another visitor trains a cnn: errors and latency percentiles, and the same without
  the training;
- in headless Chromium, the time from opening the page to the prediction of a drawn digit.
Server CPU comes from the processes' own accounting (/proc/PID/stat), so the ratio to the floor is what
holds across machines.
"""
import argparse
import asyncio
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx
import numpy as np
from gradio_client import Client, handle_file
from PIL import Image


ROOT = Path(__file__).resolve().parents[1]

TRAINING = ["cnn", "custom", "adam", 1e-3, 32, 5000, 50_000, False, False, 0]
BARE_APP = """
import gradio as gr
with gr.Blocks() as demo:
    pad = gr.Sketchpad(type="numpy", canvas_size=(336, 336))
    out = gr.Label()
    pad.change(lambda sketch: {"7": 1.0}, pad, out, api_name="bare")
    unchanged = [gr.HTML() for _ in range(21)]  # what each output of an event costs, changed or not
    pad.input(lambda sketch: {out: {"7": 1.0}}, pad, [out, *unchanged], api_name="bare_many_outputs")
demo.queue(default_concurrency_limit=4).launch(server_port=int(__import__("os").environ["PORT"]))
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def a_seven() -> np.ndarray:
    ink = np.zeros((336, 336), np.uint8)
    ink[80:100, 90:250] = 255
    for y in range(100, 280):
        x = int(250 - (y - 100) * 0.6)
        ink[y, x - 10: x + 10] = 255
    return ink


def app_module(name: str):
    """A module of demo/ (the app's own encoding of a drawing, shared with its tests)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "demo" / f"{name}.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # Gradio's components look it up
    spec.loader.exec_module(module)
    return module


def cpu_per_call(pid: int, call, n: int) -> float:
    """Server CPU milliseconds per call, over ``n`` sequential calls after one warm-up."""
    call()
    before = cpu_seconds(pid)
    for _ in range(n):
        call()
    return (cpu_seconds(pid) - before) / n * 1000


def start_bare_app() -> tuple[subprocess.Popen, str]:
    port = 7890 + os.getpid() % 100
    process = subprocess.Popen([sys.executable, "-c", BARE_APP], env={**os.environ, "PORT": str(port),
                                                                       "GRADIO_ANALYTICS_ENABLED": "False"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the bare Gradio app did not start")


def classroom(url: str, drawing: str, visitors: int, seconds: float) -> dict:
    """``visitors`` visitors each sending a stroke every second for ``seconds``, open loop (a stroke goes at
    its time whether or not the last one was answered), through Gradio's HTTP API with asyncio: a light
    load generator, so that on one machine the server, not the generator, is what is measured."""
    return asyncio.run(_classroom(url.rstrip("/") + "/gradio_api/call/draw", drawing, visitors, seconds))


async def _classroom(endpoint: str, drawing: str, visitors: int, seconds: float) -> dict:
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
            latencies.append(time.perf_counter() - start)
        except Exception as e:  # counted, with the first few shown
            errors.append(f"{type(e).__name__}: {e}"[:100])

    start = time.perf_counter() + 1
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4 * visitors)) as client:
        await asyncio.gather(*(stroke(client, start + k + v / visitors)
                               for k in range(int(seconds)) for v in range(visitors)))
    ms = 1000 * np.array(latencies or [np.nan])
    return dict(sent=visitors * int(seconds), answered=len(latencies), errors=len(errors),
                p50=float(np.percentile(ms, 50)), p99=float(np.percentile(ms, 99)), first_errors=errors[:3])


def page_to_prediction(url) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:7860/")
    p.add_argument("--pid", type=int, required=True, help="the app's process id (its CPU time is read)")
    p.add_argument("--n", type=int, default=100, help="calls per CPU measurement")
    p.add_argument("--visitors", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args(argv)
    seven = a_seven()
    drawing = app_module("shared").canvas_value(seven)
    bare, bare_url = start_bare_app()
    with tempfile.TemporaryDirectory() as tmp:
        layer = Path(tmp) / "layer.png"
        Image.fromarray(np.dstack([np.zeros((336, 336, 3), np.uint8), seven])).save(layer)
        composite, background = Path(tmp) / "composite.png", Path(tmp) / "background.png"
        Image.fromarray(255 - seven).convert("RGBA").save(composite)
        Image.new("RGBA", (336, 336), "white").save(background)
        full = {"composite": handle_file(str(composite)), "layers": [handle_file(str(layer))],
                "background": handle_file(str(background))}  # what a Sketchpad sends
        single = {"composite": handle_file(str(composite)), "layers": [], "background": None}
        try:
            bare_client = Client(bare_url, verbose=False)
            floor = cpu_per_call(bare.pid, lambda: bare_client.predict(single, api_name="/bare"), args.n)
            floor_full = cpu_per_call(bare.pid, lambda: bare_client.predict(full, api_name="/bare"), args.n)
            many = cpu_per_call(bare.pid, lambda: bare_client.predict(single, api_name="/bare_many_outputs"), args.n)
        finally:
            bare.terminate()
        visitor = Client(args.url, verbose=False)
        stroke = cpu_per_call(args.pid, lambda: visitor.predict(drawing, "cnn", "3", api_name="/draw"), args.n)
        api = cpu_per_call(args.pid, lambda: visitor.predict(handle_file(str(composite)), "cnn", api_name="/predict"),
                           args.n)
    print(f"Server CPU per call (ms, mean of {args.n}):\n"
          f"| call | server CPU (ms) | x the floor |\n|---|---:|---:|\n"
          f"| bare Gradio Sketchpad event, one composite image (the floor) | {floor:.1f} | 1.00 |\n"
          f"| bare Gradio Sketchpad event, the three images a browser sends | {floor_full:.1f} | {floor_full / floor:.2f} |\n"
          f"| bare Gradio Sketchpad event, 22 outputs of which 1 changes | {many:.1f} | {many / floor:.2f} |\n"
          f"| this app, one stroke as the page makes it (`draw`) | {stroke:.1f} | {stroke / floor:.2f} |\n"
          f"| this app, `predict` with a full Sketchpad value (API) | {api:.1f} | {api / floor:.2f} |", flush=True)
    print(f"\nClassroom: {args.visitors} visitors x 1 stroke/s for {args.seconds:.0f} s (open loop)\n"
          "| while | answered | errors | p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|---:|")
    for training in (False, True):
        if training:
            trainer = Client(args.url, verbose=False)
            job = trainer.submit(*TRAINING, api_name="/train")
            while not any("running" in str(o[1]) for o in job.outputs()):
                time.sleep(0.2)
        load = classroom(args.url, drawing, args.visitors, args.seconds)
        if training:
            trainer.predict(api_name="/stop_training")
            list(job)
        print(f"| {'another visitor trains a cnn' if training else 'nothing else runs'} | {load['answered']} of "
              f"{load['sent']} | {load['errors']} | {load['p50']:.0f} | {load['p99']:.0f} |"
              + (f" errors: {load['first_errors']}" if load["errors"] else ""), flush=True)
    print(f"\nPage load to first prediction (Chromium): {page_to_prediction(args.url):.2f} s")


if __name__ == "__main__":
    main()
