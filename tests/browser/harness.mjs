// Shared helpers for the browser tests: build the bundled site, serve it on loopback (at the
// root or under a subpath), and drive Debian's Chromium through playwright-core.

import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, resolve, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Builds the bundled site with the flywheel binary into a new temporary folder. */
export function buildSite(extraArgs = []) {
  const bin = process.env.FLYWHEEL_BIN || join(REPO, "target", "debug", "flywheel");
  if (!existsSync(bin)) throw new Error(`no flywheel binary at ${bin}: run cargo build first`);
  const out = join(mkdtempSync(join(tmpdir(), "flywheel-browser-")), "site");
  const run = spawnSync(bin, ["build", "--quiet", "--root", REPO, "--output", out, ...extraArgs], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`build failed:\n${run.stderr}`);
  return out;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `dir` on 127.0.0.1 under `prefix` (like a GitHub Pages project site), with optional
 * extra headers on every response. Resolves to { url, close }.
 */
export function serve(dir, { prefix = "/", headers = {} } = {}) {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (!path.startsWith(prefix)) return notFound(res, root, headers);
    let file = normalize(join(root, path.slice(prefix.length)));
    if (file !== root && !file.startsWith(root + sep)) return notFound(res, root, headers);
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", ...headers });
      res.end(body);
    } catch {
      notFound(res, root, headers);
    }
  });
  return new Promise((ok) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

function notFound(res, root, headers) {
  const page = join(root, "404.html");
  res.writeHead(404, { "content-type": "text/html; charset=utf-8", ...headers });
  res.end(existsSync(page) ? readFileSync(page) : "not found");
}

/** Starts headless Chromium with flags that keep it off the network. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page) {
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

export const AXE_SOURCE = join(REPO, "tests", "browser", "node_modules", "axe-core", "axe.min.js");

/** Runs axe-core on the loaded page; returns the serious and critical violations. */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: AXE_SOURCE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { resultTypes: ["violations"] });
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("\n    ")}`);
}
