// The default theme in a real browser: accessibility of every kind of page in both colour
// schemes, reading-path progress, and the remembered colour scheme.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { buildSite, serve, launch, watchErrors, seriousViolations } from "./harness.mjs";

/** One page of every kind the theme lays out. */
const PAGES = {
  home: "",
  principle: "principles/customer-obsession/",
  "case study": "case-studies/fire-phone/",
  mechanism: "mechanisms/working-backwards/",
  "PR/FAQ": "prfaqs/instant-refunds/",
  "reading path": "onboarding/first-week/",
  section: "principles/",
  glossary: "glossary/",
  matrix: "matrix/",
  "tag list": "tags/",
  tag: "tags/customers/",
  "not found": "404.html",
};

let site, server, browser;

before(async () => {
  site = buildSite();
  server = await serve(site);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

for (const scheme of ["light", "dark"]) {
  for (const [kind, path] of Object.entries(PAGES)) {
    test(`axe finds nothing serious on the ${kind} page (${scheme})`, async () => {
      const context = await browser.newContext({ colorScheme: scheme });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(server.url + path);
      const violations = await seriousViolations(page);
      await context.close();
      assert.deepEqual(violations, [], violations.join("\n"));
      assert.deepEqual(errors, []);
    });
  }
}

async function tickTwoSteps(page) {
  const boxes = page.locator(".reading-path .step-check");
  assert.ok((await boxes.count()) > 20, "every step has a checkbox");
  await boxes.nth(0).check();
  await boxes.nth(2).check();
  await page.reload();
  assert.equal(await page.locator(".reading-path .step-check:checked").count(), 2);
  const text = await page.locator(".path-progress-text").textContent();
  assert.match(text, /^2 of \d+ steps done · \d+ of \d+ minutes$/);
}

test("reading-path progress survives a reload", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + PAGES["reading path"]);
  await tickTwoSteps(page);
  await page.locator(".path-reset").click();
  assert.equal(await page.locator(".reading-path .step-check:checked").count(), 0);
  await context.close();
});

test("reading-path progress works from a folder opened from disk", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pathToFileURL(join(site, "onboarding/first-week/index.html")).href);
  await tickTwoSteps(page);
  await context.close();
});

test("the colour-scheme toggle is remembered across pages and reloads", async () => {
  const context = await browser.newContext({ colorScheme: "light" });
  const page = await context.newPage();
  await page.goto(server.url);
  const toggle = page.locator(".theme-toggle");
  assert.equal(await toggle.isVisible(), true);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme ?? null), null);
  await toggle.click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.goto(server.url + PAGES.principle);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, "rgb(18, 21, 25)");
  await page.reload();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.locator(".theme-toggle").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
  await context.close();
});

test("the table of contents sits beside the text on wide screens and above it on phones", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url + PAGES["case study"]);
  const toc = await page.locator(".toc").boundingBox();
  const text = await page.locator(".content").boundingBox();
  assert.ok(toc.x > text.x + text.width, "contents to the right of the text");
  await page.setViewportSize({ width: 360, height: 800 });
  const tocPhone = await page.locator(".toc").boundingBox();
  const textPhone = await page.locator(".content").boundingBox();
  assert.ok(tocPhone.y < textPhone.y, "contents above the text");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at 360 px (${overflow} px too wide)`);
  await context.close();
});
