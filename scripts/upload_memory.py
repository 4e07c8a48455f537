"""What large uploads cost the running app: its resident memory while several arrive at once.

    python demo/app.py &
    python scripts/upload_memory.py --url http://127.0.0.1:7860/ --pid $(pgrep -f demo/app.py)

Sends, all at once through gradio_client's `predict` endpoint: four 7000x7000 PNGs (a white
page with one stroke, a few hundred KB each), then sixteen of the largest image the app
accepts (4096x4096 RGBA, the same page). Samples the server's resident memory
(/proc/PID/status) every 20 ms and prints the baseline, the peak during each burst, the
answers (refusals included), and a normal prediction right after.
"""
import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image



def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def page(path: Path, side: int, mode: str) -> Path:
    """A white page with one dark stroke: small as a PNG, large once decoded."""
    image = Image.new(mode, (side, side), "white")
    stroke = np.asarray(image).copy()
    stroke[side // 4: 3 * side // 4, side // 2 - side // 60: side // 2 + side // 60] = 0
    if mode == "RGBA":
        stroke[..., 3] = 255
    Image.fromarray(stroke, mode).save(path)
    return path


def burst(url: str, pid: int, path: Path, n: int) -> dict:
    """``n`` concurrent predictions of ``path``; the server's peak memory meanwhile."""
    clients = [Client(url, verbose=False) for _ in range(n)]
    peak, done = [resident_mb(pid)], threading.Event()

    def sample():
        while not done.is_set():
            peak.append(resident_mb(pid))
            time.sleep(0.02)

    def call(client):
        start = time.perf_counter()
        try:
            answer = str(client.predict(handle_file(str(path)), "cnn", api_name="/predict"))
        except Exception as e:  # the app's refusal arrives as an error
            answer = f"refused: {e}"
        return time.perf_counter() - start, answer

    before = resident_mb(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(call, clients))
    done.set()
    sampler.join()
    time.sleep(1)
    return dict(before=before, peak=max(peak), after=resident_mb(pid), seconds=max(s for s, _ in results),
                answers=sorted({a[:90] for _, a in results}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:7860/")
    p.add_argument("--pid", type=int, required=True, help="the app's process id (its resident memory is read)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("4 x 7000x7000 PNG", page(tmp / "page7000.png", 7000, "L"), 4),
                 ("16 x 4096x4096 RGBA PNG", page(tmp / "page4096.png", 4096, "RGBA"), 16)]
        print("| burst | file size | server memory before (MB) | peak (MB) | added at peak (MB) | after (MB) "
              "| slowest answer (s) | answers |\n|---|---:|---:|---:|---:|---:|---:|---|")
        for label, path, n in cases:
            r = burst(args.url, args.pid, path, n)
            print(f"| {label} | {path.stat().st_size / 1e3:,.0f} KB | {r['before']:,.0f} | {r['peak']:,.0f} "
                  f"| {r['peak'] - r['before']:,.0f} | {r['after']:,.0f} | {r['seconds']:.1f} "
                  f"| {'; '.join(r['answers'])} |", flush=True)
        seven = np.zeros((336, 336, 4), np.uint8)
        seven[80:100, 90:250, 3] = 255
        for y in range(100, 280):
            seven[y, int(250 - (y - 100) * 0.6) - 10: int(250 - (y - 100) * 0.6) + 10, 3] = 255
        Image.fromarray(seven).save(tmp / "seven.png")
        start = time.perf_counter()
        answer = Client(args.url, verbose=False).predict(
            handle_file(str(tmp / "seven.png")), "cnn", api_name="/predict")
        print(f"\nA normal prediction right after: {answer['label']} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
