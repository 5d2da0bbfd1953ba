// Search in a real browser: relevance on the bundled site, the keyboard, filters, shared
// queries, hostile input, and the same behaviour served at the root, under a subpath and from
// a folder opened from disk.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { buildSite, serve, launch, watchErrors, REPO } from "./harness.mjs";

let site, root, subpath, browser;

before(async () => {
  site = buildSite();
  root = await serve(site);
  subpath = await serve(site, { prefix: "/some/sub/path/" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await root?.close();
  await subpath?.close();
});

/** Types a query into the header search box of `url` and returns the result links. */
async function searchFor(url, query, { kind } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.keyboard.press("/");
  const input = page.locator("#search-input");
  assert.equal(await page.evaluate(() => document.activeElement.id), "search-input", "/ focuses the box");
  await input.pressSequentially(query, { delay: 5 });
  await page.waitForFunction(() => document.querySelectorAll(".search-result").length > 0, null, { timeout: 5000 });
  if (kind) {
    await page.locator(`.search-filter[data-kind="${kind}"]`).click();
    await page.waitForFunction(() => /filtered/.test(document.querySelector(".search-status").textContent));
  }
  const results = await page.locator(".search-result a").evaluateAll((links) =>
    links.map((a) => ({ href: a.getAttribute("href"), kind: a.querySelector(".result-kind").textContent })),
  );
  return { context, page, results, errors };
}

const EXPECTED = [
  ["fire phone", "case-studies/fire-phone/"],
  ["customer obsession", "principles/customer-obsession/"],
  ["working backwards", "mechanisms/working-backwards/"],
  ["two pizza", "mechanisms/small-empowered-teams/"],
  ["two way door", "principles/bias-for-action/"],
  ["invent simpl", "principles/invent-and-simplify/"],
];

for (const [query, expected] of EXPECTED) {
  test(`"${query}" puts ${expected} first`, async () => {
    const { context, results, errors } = await searchFor(root.url, query);
    await context.close();
    assert.ok(results[0].href.startsWith("./" + expected), `first: ${results[0].href}`);
    assert.deepEqual(errors, []);
  });
}

test("a partial word matches while typing", async () => {
  const { context, results } = await searchFor(root.url, "frugal");
  await context.close();
  assert.ok(results[0].href.startsWith("./principles/frugality/"), results[0].href);
});

test("a query ranks the same after other queries in the page", async () => {
  // Ranking reuses one set of per-document arrays for every query; what one query leaves
  // there must not change the next.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(root.url);
  const input = page.locator("#search-input");
  await input.focus();
  const resultsFor = async (query, expected) => {
    await input.fill(query);
    await page.waitForFunction(
      (path) => document.querySelector(".search-result a")?.getAttribute("href").startsWith("./" + path),
      expected,
      { timeout: 5000 },
    );
    return page.locator(".search-result a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  };
  const first = await resultsFor("customer obsession", "principles/customer-obsession/");
  await resultsFor("fire phone", "case-studies/fire-phone/");
  await resultsFor("working backwards", "mechanisms/working-backwards/");
  const again = await resultsFor("customer obsession", "principles/customer-obsession/");
  assert.ok(first.length > 1, JSON.stringify(first));
  assert.deepEqual(again, first);
  await context.close();
});

test("matched words are highlighted in the snippet and the badge names the kind", async () => {
  const { context, page } = await searchFor(root.url, "andon cord");
  const first = page.locator(".search-result").first();
  assert.equal(await first.locator(".result-kind").textContent(), "Mechanism");
  const marks = await first.locator("mark").allTextContents();
  assert.ok(marks.some((m) => /andon/i.test(m)), marks.join("|"));
  await context.close();
});

test("at most two sections of one page are shown", async () => {
  // The Fire phone case study has more than two sections about the Fire phone; the others
  // make room for other pages.
  const { context, results } = await searchFor(root.url, "fire phone");
  await context.close();
  const perPage = {};
  for (const r of results) {
    const page = r.href.split("#")[0];
    perPage[page] = (perPage[page] || 0) + 1;
  }
  assert.equal(perPage["./case-studies/fire-phone/"], 2, JSON.stringify(results));
  assert.ok(Object.values(perPage).every((n) => n <= 2), JSON.stringify(perPage));
  assert.ok(results.length > 2, JSON.stringify(results));
});

test("a filter by kind keeps only that kind", async () => {
  const { context, results } = await searchFor(root.url, "customer", { kind: "case-study" });
  await context.close();
  assert.ok(results.length > 0);
  assert.ok(results.every((r) => r.kind === "Case study"), JSON.stringify(results));
});

test("arrow keys and Enter open the result at its heading", async () => {
  const { context, page } = await searchFor(root.url, "fire phone write-down");
  await page.keyboard.press("ArrowDown");
  const selected = await page.locator(".search-result[aria-selected=true] a").getAttribute("href");
  assert.ok(selected.includes("#"), `a section anchor: ${selected}`);
  await Promise.all([page.waitForURL(/#/), page.keyboard.press("Enter")]);
  assert.ok(page.url().endsWith(selected.replace("./", "")), page.url());
  await context.close();
});

test("Escape closes the results", async () => {
  const { context, page } = await searchFor(root.url, "prime");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".search-panel").isHidden(), true);
  assert.equal(await page.locator("#search-input").getAttribute("aria-expanded"), "false");
  await context.close();
});

test("?q= opens the search with that query", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(root.url + "principles/?q=echo");
  await page.waitForFunction(() => document.querySelectorAll(".search-result").length > 0);
  assert.equal(await page.locator("#search-input").inputValue(), "echo");
  const first = await page.locator(".search-result a").first().getAttribute("href");
  assert.ok(first.startsWith("../case-studies/echo/"), first);
  await context.close();
});

for (const [where, url] of [["under a subpath", () => subpath.url], ["from disk", () => pathToFileURL(join(site, "index.html")).href]]) {
  test(`search works ${where}`, async () => {
    const { context, page, results, errors } = await searchFor(url(), "fire phone");
    assert.ok(results[0].href.includes("case-studies/fire-phone/"), results[0].href);
    if (where === "from disk") assert.ok(results[0].href.includes("fire-phone/index.html"), results[0].href);
    await Promise.all([page.waitForURL(/fire-phone/), page.keyboard.press("Enter")]);
    assert.equal(await page.locator("h1").textContent(), "Fire phone");
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("hostile titles and queries stay text", async () => {
  const dir = mkdtempSync(join(tmpdir(), "flywheel-xss-"));
  mkdirSync(join(dir, "content"));
  writeFileSync(join(dir, "site.toml"), 'title = "XSS"\n');
  writeFileSync(
    join(dir, "content", "evil.md"),
    '+++\ntitle = "<img src=x onerror=alert(1)>"\n+++\n## <script>alert(2)</script> heading\n\nSome onerror body text.\n',
  );
  const out = join(dir, "public");
  const bin = process.env.FLYWHEEL_BIN || join(REPO, "target", "debug", "flywheel");
  const run = spawnSync(bin, ["build", "--quiet", "--root", dir, "--output", out], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const server = await serve(out);
  const context = await browser.newContext();
  const page = await context.newPage();
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs += 1; d.dismiss(); });
  await page.goto(server.url + "?q=" + encodeURIComponent("<script>alert(3)</script> onerror"));
  await page.waitForFunction(() => document.querySelectorAll(".search-result").length > 0);
  assert.equal(await page.locator(".search-panel img, .search-panel script").count(), 0);
  assert.match(await page.locator(".result-title").first().textContent(), /<img src=x onerror=alert\(1\)>/);
  await page.locator("#search-input").fill("img src onerror");
  await page.waitForTimeout(200);
  assert.equal(await page.locator(".search-panel img").count(), 0);
  assert.equal(dialogs, 0);
  await context.close();
  await server.close();
});
