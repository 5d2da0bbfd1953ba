// The query pipeline in search.js must produce exactly the terms the build indexed. The Rust
// test suite checks the Rust pipeline against tests/fixtures/search-terms.json; this checks the
// JavaScript one against the same file, word for word.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO } from "./harness.mjs";

const require = createRequire(import.meta.url);
const pipeline = require(join(REPO, "themes", "default", "static", "search.js"));

test("JavaScript terms equal the Rust terms for every line of the word list", () => {
  const text = readFileSync(join(REPO, "tests", "fixtures", "search-words.txt"), "utf8");
  const lines = text.replace(/\n$/, "").split("\n");
  const golden = JSON.parse(readFileSync(join(REPO, "tests", "fixtures", "search-terms.json"), "utf8"));
  assert.equal(lines.length, golden.length);
  assert.ok(lines.length > 300);
  const mismatches = [];
  lines.forEach((line, i) => {
    const got = pipeline.terms(line);
    if (JSON.stringify(got) !== JSON.stringify(golden[i])) {
      mismatches.push(`${JSON.stringify(line)}: js ${JSON.stringify(got)} rust ${JSON.stringify(golden[i])}`);
    }
  });
  assert.deepEqual(mismatches, []);
});

test("the stemmer handles the classic Porter examples", () => {
  const cases = { caresses: "caress", ponies: "poni", relational: "relat", hopefulness: "hope", generalizations: "gener" };
  for (const [word, stem] of Object.entries(cases)) assert.equal(pipeline.stem(word), stem, word);
});
