"""Latency of the running app as visitors see it.

    python demo/app.py &                      # then:
    python scripts/app_latency.py --url http://127.0.0.1:7860/

Measures the predict endpoint's round trip (p50/p99) idle and while another visitor
trains a cnn, and, in headless Chromium, the time from opening the page to the first
prediction of a drawn digit.
"""
import argparse
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image

from mnist_flax import sketchpad_value

TRAINING = ["cnn", "custom", "adam", 1e-3, 32, 5000, 50_000, False, False, 0]


def a_seven(folder: Path) -> dict:
    ink = np.zeros((336, 336), np.uint8)
    ink[80:100, 90:250] = 255
    for y in range(100, 280):
        x = int(250 - (y - 100) * 0.6)
        ink[y, x - 10: x + 10] = 255
    path = folder / "seven.png"
    Image.fromarray(np.dstack([np.zeros((336, 336, 3), np.uint8), ink])).save(path)
    return sketchpad_value(handle_file(str(path)), [handle_file(str(path))])


def round_trips(client, sketch, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.predict(sketch, "cnn", api_name="/predict")
        times.append((time.perf_counter() - start) * 1000)
    return np.percentile(times, 50), np.percentile(times, 99)


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
        page.locator('button[aria-label="Brush"].highlight').first.wait_for()
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
    p.add_argument("--n", type=int, default=50)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        visitor, trainer = Client(args.url, verbose=False), Client(args.url, verbose=False)
        sketch = a_seven(Path(tmp))
        print(f"page load to first prediction (Chromium): {page_to_prediction(args.url):.2f} s")
        print("predict round trip idle: p50 {:.1f} ms, p99 {:.1f} ms".format(*round_trips(visitor, sketch, args.n)))
        job = trainer.submit(*TRAINING, api_name="/train")
        while not any(re.search(r"step [\d,]+ /", str(o[0])) for o in job.outputs()):
            time.sleep(0.2)
        print("predict round trip while a cnn trains: p50 {:.1f} ms, p99 {:.1f} ms".format(
            *round_trips(visitor, sketch, args.n)))
        trainer.predict(api_name="/stop_training")
        list(job)


if __name__ == "__main__":
    main()
