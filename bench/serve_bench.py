#!/usr/bin/env python3
"""Measures `flywheel serve` on a generated corpus: the first start, and the time from saving one
page to the reload event reaching the browser (read from the server's event stream, as the
live-reload script does). Prints one JSON object.

    python3 bench/serve_bench.py FLYWHEEL_BINARY SITE_DIR [--edits 5]
"""

import argparse
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("site")
    ap.add_argument("--edits", type=int, default=5)
    args = ap.parse_args()
    site = Path(args.site)
    started = time.perf_counter()
    server = subprocess.Popen([args.binary, "serve", "--port", "0", "--root", str(site)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = None
        for line in server.stdout:
            match = re.search(r"http://([0-9.]+):(\d+)/", line)
            if match:
                address = (match.group(1), int(match.group(2)))
                break
        start_s = time.perf_counter() - started
        if address is None:
            raise SystemExit("serve did not start")
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

        events = []
        ready = threading.Event()

        def listen():
            conn = http.client.HTTPConnection(*address, timeout=60)
            conn.request("GET", "/__flywheel/events", headers={"Host": "localhost"})
            response = conn.getresponse()
            ready.set()
            while True:
                line = response.fp.readline()
                if not line:
                    return
                if line.startswith(b"event: reload"):
                    events.append(time.perf_counter())

        threading.Thread(target=listen, daemon=True).start()
        ready.wait(10)
        time.sleep(0.3)
        page = sorted((site / "content").glob("*/*.md"))[len(list((site / "content").glob("*/*.md"))) // 2]
        original = page.read_text()
        latencies = []
        for n in range(args.edits):
            before = len(events)
            saved = time.perf_counter()
            # A paragraph added at the end: the summary (first paragraph) stays, as in most edits.
            page.write_text(original + f"\nEdited {n}.\n")
            deadline = saved + 30
            while len(events) == before and time.perf_counter() < deadline:
                time.sleep(0.002)
            if len(events) > before:
                latencies.append((events[before] - saved) * 1000)
            time.sleep(0.3)
        page.write_text(original)
        latencies.sort()
        print(json.dumps({
            "serve_start_s": round(start_s, 3),
            "save_to_reload_ms_median": round(latencies[len(latencies) // 2]) if latencies else None,
            "save_to_reload_ms_max": round(latencies[-1]) if latencies else None,
            "edits": len(latencies),
        }))
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
