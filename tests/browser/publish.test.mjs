// The published site in a browser: served under a subpath with the security headers of
// netlify.toml, and the portable build opened from disk. No console errors, no CSP violations,
// and search works in both.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildSite, serve, launch, watchErrors, REPO } from "./harness.mjs";

/** The headers netlify.toml sets for every path. */
function netlifyHeaders() {
  const toml = readFileSync(join(REPO, "netlify.toml"), "utf8");
  const block = toml.split("[[headers]]")[1];
  const headers = {};
  for (const match of block.matchAll(/^\s*([A-Za-z-]+) = "(.*)"\s*$/gm)) headers[match[1]] = match[2];
  assert.ok(headers["Content-Security-Policy"], "netlify.toml sets a CSP");
  assert.doesNotMatch(headers["Content-Security-Policy"], /unsafe-inline|unsafe-eval/);
  return headers;
}

const PAGES = ["", "principles/", "principles/ownership/", "case-studies/fire-phone/", "prfaqs/instant-refunds/",
  "onboarding/first-week/", "matrix/", "glossary/", "tags/", "no/such/page/"];

let site, portable, server, browser;

before(async () => {
  // The 404 page is served at any path, so it cannot use relative links: it finds the site
  // through the path of base_url, which a site under a subpath must therefore include.
  site = buildSite(["--base-url", "https://example.org/some/sub/path/"]);
  portable = buildSite(["--portable"]);
  server = await serve(site, { prefix: "/some/sub/path/", headers: netlifyHeaders() });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function visit(url) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const response = await page.goto(url);
  await page.waitForLoadState("load");
  const csp = await page.evaluate(() => window.__csp);
  return { context, page, errors, csp, status: response ? response.status() : 0 };
}

for (const path of PAGES) {
  test(`/${path} under a subpath with the Netlify headers: no errors, no CSP violations`, async () => {
    const { context, errors, csp, status } = await visit(server.url + path);
    await context.close();
    assert.deepEqual(csp, []);
    assert.deepEqual(errors.filter((e) => !(path.startsWith("no/") && /404/.test(e))), []);
    assert.equal(status, path.startsWith("no/") ? 404 : 200);
  });
}

async function searchWorks(page) {
  await page.keyboard.press("/");
  await page.locator("#search-input").pressSequentially("andon cord", { delay: 5 });
  await page.waitForFunction(() => document.querySelectorAll(".search-result").length > 0);
  const href = await page.locator(".search-result a").first().getAttribute("href");
  assert.match(href, /mechanisms\/andon-cord\//);
  await Promise.all([page.waitForURL(/andon-cord/), page.keyboard.press("Enter")]);
  assert.equal(await page.locator("h1").textContent(), "The Andon Cord");
}

test("search works under a subpath with the Netlify CSP", async () => {
  const { context, page, csp } = await visit(server.url + "principles/");
  await searchWorks(page);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(csp, []);
  await context.close();
});

test("the portable build works opened from disk: links, search, reading path", async () => {
  const { context, page, errors } = await visit(pathToFileURL(join(portable, "index.html")).href);
  await Promise.all([page.waitForURL(/principles\/index\.html$/), page.locator(".site-nav a", { hasText: "Principles" }).click()]);
  await Promise.all([page.waitForURL(/ownership\/index\.html$/), page.locator("a", { hasText: "Ownership" }).first().click()]);
  assert.equal(await page.locator("h1").textContent(), "Ownership");
  await searchWorks(page);
  await page.goto(pathToFileURL(join(portable, "onboarding/first-week/index.html")).href);
  await page.locator(".reading-path .step-check").first().check();
  await page.reload();
  assert.equal(await page.locator(".reading-path .step-check:checked").count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});
