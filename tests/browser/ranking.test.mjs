// search.js sorts its hits only as far as the results panel reads them. Whatever is read, in
// whatever steps, must be exactly what a full sort gives.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { ranked } = require(join(REPO, "themes", "default", "static", "search.js"));

const byRank = (a, b) => b.words - a.words || b.score - a.score || a.doc - b.doc;

/** A deterministic pseudo-random generator, so a failure repeats. */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` hits in document order, with few distinct word counts and scores (many ties). */
function hits(count, random) {
  return Array.from({ length: count }, (_, doc) => ({
    doc,
    words: 1 + Math.floor(random() * 3),
    score: Math.floor(random() * 20) / 4,
  })).sort(() => random() - 0.5);
}

test("reading the hits in steps gives the fully sorted order", () => {
  const random = generator(7);
  for (const count of [0, 1, 2, 12, 63, 64, 65, 200, 1000, 5000]) {
    for (const step of [1, 12, 50, 300]) {
      const list = hits(count, random);
      const expected = list.slice().sort(byRank);
      const lazy = ranked(list);
      assert.equal(lazy.length, count);
      const read = [];
      for (let start = 0; start < count + step; start += step) read.push(...lazy.slice(start, start + step));
      assert.deepEqual(read, expected, `${count} hits read ${step} at a time`);
    }
  }
});

test("a later slice reads the same hits as an earlier one over the same range", () => {
  const list = hits(3000, generator(11));
  const expected = list.slice().sort(byRank);
  const lazy = ranked(list);
  assert.deepEqual(lazy.slice(0, 12), expected.slice(0, 12));
  assert.deepEqual(lazy.slice(2000, 2012), expected.slice(2000, 2012));
  assert.deepEqual(lazy.slice(0, 12), expected.slice(0, 12));
  assert.deepEqual(lazy.slice(500, 3000), expected.slice(500, 3000));
});

test("postings decode to the numbers the build encoded", () => {
  const { eachPosting } = require(join(REPO, "themes", "default", "static", "search.js"));
  const read = (code) => {
    const counts = [];
    const postings = [];
    eachPosting(code, (count) => counts.push(count), (doc, weight) => postings.push([doc, weight]));
    return { counts, postings };
  };
  // The string search.rs's `postings_are_a_count_then_gaps_and_weights` writes for documents
  // 0, 31 and 1,100 with weights 1, 32 and 33,000.
  assert.deepEqual(read("DABfgBthBongB"), { counts: [3], postings: [[0, 1], [31, 32], [1100, 33000]] });
  // The largest number a posting holds, 2^32 - 1: six continuing 31s, then an ending 3.
  assert.deepEqual(read("______D"), { counts: [2 ** 32 - 1], postings: [] });
});
