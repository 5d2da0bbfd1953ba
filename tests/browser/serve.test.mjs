// `flywheel serve` with a real browser: a saved edit appears without the test reloading, a
// broken page shows an overlay that goes away once fixed, and a stylesheet edit applies in place.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { launch, REPO } from "./harness.mjs";

let dir, server, url, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "flywheel-serve-"));
  for (const part of ["site.toml", "content", "themes"]) cpSync(join(REPO, part), join(dir, part), { recursive: true });
  const bin = process.env.FLYWHEEL_BIN || join(REPO, "target", "debug", "flywheel");
  server = spawn(bin, ["serve", "--port", "0", "--root", dir], { stdio: ["ignore", "pipe", "pipe"] });
  server.stderr.resume();
  url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: server.stdout });
    lines.on("line", (line) => {
      const match = /http:\/\/[^ ]+\//.exec(line);
      if (match) resolve(match[0]);
    });
    server.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

function edit(path, change) {
  const file = join(dir, path);
  writeFileSync(file, change(readFileSync(file, "utf8")));
}

test("a saved edit shows up, a mistake shows an overlay, the fix removes it", async () => {
  const page = await browser.newPage();
  await page.goto(url + "principles/ownership/");
  assert.equal(await page.locator("h1").textContent(), "Ownership");
  await page.waitForTimeout(300); // the event stream connects

  edit("content/principles/ownership.md", (s) => s.replace("An owner thinks past", "An owner reliably thinks past"));
  // While the page reloads there is briefly no body: the check must not throw then.
  await page.waitForFunction(() => document.body?.textContent.includes("An owner reliably thinks past"), null, { timeout: 5000 });

  edit("content/principles/ownership.md", (s) => s.replace("order = 2", 'order = "two"'));
  const overlay = page.locator("#flywheel-overlay");
  await overlay.waitFor({ state: "visible", timeout: 5000 });
  const text = await overlay.textContent();
  assert.match(text, /content\/principles\/ownership\.md:\d+:\d+/);
  assert.match(text, /`order` must be an integer/);
  assert.equal(await page.locator("h1").textContent(), "Ownership", "the last good build stays");

  edit("content/principles/ownership.md", (s) => s.replace('order = "two"', "order = 2").replace("reliably ", "always "));
  await page.waitForFunction(() => document.body?.textContent.includes("An owner always thinks past"), null, { timeout: 5000 });
  assert.equal(await overlay.count(), 0);
  await page.close();
});

test("a stylesheet edit applies without reloading the page", async () => {
  const page = await browser.newPage();
  await page.goto(url + "principles/");
  await page.evaluate(() => { window.__stillHere = true; });
  await page.waitForTimeout(300);
  edit("themes/default/static/style.css", (s) => s + "\nh1 { letter-spacing: 7px; }\n");
  await page.waitForFunction(() => getComputedStyle(document.querySelector("h1")).letterSpacing === "7px", null, { timeout: 5000 });
  assert.equal(await page.evaluate(() => window.__stillHere), true, "no reload");
  await page.close();
});
