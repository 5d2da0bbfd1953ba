#!/usr/bin/env python3
"""Measures `flywheel serve` on a generated corpus: the first start, the time from saving one
page to the reload event reaching the browser (read from the server's event stream, as the
live-reload script does), and the same for a change to the template every page uses (the site
gets its own copy of the theme's `page.html` for that). Prints one JSON object.

    python3 bench/serve_bench.py FLYWHEEL_BINARY SITE_DIR [--edits 5]
"""

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

THEME_PAGE = Path(__file__).resolve().parent.parent / "themes" / "default" / "templates" / "page.html"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("site")
    ap.add_argument("--edits", type=int, default=5)
    args = ap.parse_args()
    site = Path(args.site)
    template = site / "templates" / "page.html"
    made_template = not template.exists()
    if made_template:
        template.parent.mkdir(exist_ok=True)
        shutil.copy(THEME_PAGE, template)
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
        def time_saves(path: Path, edit, settle: float) -> list[float]:
            """Saves `edit(original, n)` into path `--edits` times; ms from save to reload event."""
            original = path.read_text()
            latencies = []
            for n in range(args.edits):
                before = len(events)
                saved = time.perf_counter()
                path.write_text(edit(original, n))
                deadline = saved + 60
                while len(events) == before and time.perf_counter() < deadline:
                    time.sleep(0.002)
                if len(events) > before:
                    latencies.append((events[before] - saved) * 1000)
                time.sleep(settle)
            path.write_text(original)
            return sorted(latencies)

        pages = sorted((site / "content").glob("*/*.md"))
        # A paragraph added at the end: the summary (first paragraph) stays, as in most edits.
        page_times = time_saves(pages[len(pages) // 2], lambda text, n: text + f"\nEdited {n}.\n", 0.3)
        time.sleep(1.5)  # let the search index catch up before the template runs
        template_times = time_saves(
            template,
            lambda text, n: text.replace("{% endblock %}", f"<!-- edit {n} -->{{% endblock %}}", 1),
            2.0,
        )
        print(json.dumps({
            "serve_start_s": round(start_s, 3),
            "save_to_reload_ms_median": median(page_times),
            "save_to_reload_ms_max": round(page_times[-1]) if page_times else None,
            "edits": len(page_times),
            "template_to_reload_ms_median": median(template_times),
        }))
    finally:
        server.terminate()
        server.wait()
        if made_template:
            shutil.rmtree(template.parent, ignore_errors=True)
    return 0


def median(values: list[float]) -> int | None:
    return round(values[len(values) // 2]) if values else None


if __name__ == "__main__":
    sys.exit(main())
