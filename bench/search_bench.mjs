// Measures search on a built site in headless Chromium: the bytes the first query transfers
// (gzip-compressed, as a static host would serve them), the time from focusing the box (which
// starts loading the index) to the first query's results, and the time from each later
// keystroke to updated results, all timed inside the page.
//
//   node bench/search_bench.mjs SITE_DIR "query words"
//
// Prints one JSON object. Uses the browser-test dependencies (tests/browser: npm ci).

import { gzipSync } from "node:zlib";
import { readFileSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { serve, launch } from "../tests/browser/harness.mjs";

const [dir, query = "market policy"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bench/search_bench.mjs SITE_DIR [QUERY]");
  process.exit(2);
}

function folderBytes(path) {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

const server = await serve(dir);
const browser = await launch();
const page = await browser.newPage();
await page.goto(server.url);
const searchFiles = [];
page.on("request", (req) => {
  const url = new URL(req.url());
  if (url.pathname.startsWith("/search/")) searchFiles.push(url.pathname.slice(1));
});

// Times, inside the page, each input event until the result list next changes, and the first
// query from the moment the box takes focus (when the index starts to load) to its results.
// Timed in the page rather than around the browser driver's calls, whose own round trips
// (tens of milliseconds each, varying from run to run) no reader waits for.
await page.evaluate(() => {
  window.__latencies = [];
  window.__firstResultsMs = null;
  const status = document.querySelector(".search-status");
  const input = document.querySelector("#search-input");
  let pending = null;
  let focused = null;
  input.addEventListener("focus", () => { if (focused === null) focused = performance.now(); }, true);
  input.addEventListener("input", () => { pending = performance.now(); }, true);
  new MutationObserver(() => {
    if (pending === null) return;
    const now = performance.now();
    window.__latencies.push(now - pending);
    if (window.__firstResultsMs === null) window.__firstResultsMs = now - focused;
    pending = null;
  }).observe(status, { childList: true, characterData: true, subtree: true });
});

// The first keystroke, timed until results first appear (the index loads on focus, so this
// includes fetching the manifest and the shards).
const input = page.locator("#search-input");
await input.focus();
await input.press(query[0]);
await page.waitForFunction(() => window.__firstResultsMs !== null, null, { timeout: 20000 });
const firstResultsMs = Math.round(await page.evaluate(() => window.__firstResultsMs));
for (const ch of query.slice(1)) {
  await input.press(ch === " " ? "Space" : ch);
  await page.waitForTimeout(120);
}
await page.waitForFunction(() => document.querySelectorAll(".search-result").length > 0, null, { timeout: 20000 });
const latencies = await page.evaluate(() => window.__latencies);
// Once loaded: type the same query again, every file already in the page.
await input.fill("");
await page.waitForTimeout(100);
await page.evaluate(() => { window.__latencies = []; });
for (const ch of query) {
  await input.press(ch === " " ? "Space" : ch);
  await page.waitForTimeout(120);
}
const loaded = (await page.evaluate(() => window.__latencies)).sort((a, b) => a - b);
const unique = [...new Set(searchFiles)];
const transferred = unique.reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, f))).length, 0);
const sorted = latencies.slice(1).sort((a, b) => a - b);
console.log(JSON.stringify({
  index_bytes: folderBytes(join(dir, "search")),
  first_query_files: unique.length,
  first_query_gzip_bytes: transferred,
  first_keystroke_to_results_ms: firstResultsMs,
  later_keystroke_median_ms: sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]) : null,
  later_keystroke_max_ms: sorted.length ? Math.round(sorted[sorted.length - 1]) : null,
  loaded_keystroke_median_ms: Math.round(loaded[Math.floor(loaded.length / 2)]),
  loaded_keystroke_max_ms: Math.round(loaded[loaded.length - 1]),
  results: await page.locator(".search-result").count(),
}));
await browser.close();
await server.close();
