// Client-side search, written for Flywheel. It loads the index lazily (on focus or "/"), runs
// the same text pipeline as the build (elasticlunr's English tokenizer, trimmer, stop words and
// Porter stemmer), ranks with the build's field weights, and shows results with the matched
// words highlighted. Every string from the query, the URL or the index reaches the page through
// textContent or createElement, never as HTML. The index files are scripts that call
// window.flywheelSearch, so they load over HTTP and from a folder opened from disk alike.
(function (global) {
  "use strict";

  // ---------------------------------------------------------------- the text pipeline
  // Mirrors elasticlunr-rs 3.1 (lang/en.rs and lang/mod.rs); tests compare the two word by word.

  // Rust's char::is_whitespace (the Unicode White_Space property), plus "-".
  var SPLIT = /[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000-]+/;
  var STOP_WORDS = {};
  ("a able about across after all almost also am among an and any are as at be because been but by " +
    "can cannot could dear did do does either else ever every for from get got had has have he her " +
    "hers him his how however i if in into is it its just least let like likely may me might most " +
    "must my neither no nor not of off often on only or other our own rather said say says she " +
    "should since so some than that the their them then there these they this tis to too twas us " +
    "wants was we were what when where which while who whom why will with would yet you your")
    .split(" ")
    .forEach(function (w) { STOP_WORDS[w] = true; });
  STOP_WORDS[""] = true;
  var MAX_TOKEN_BYTES = 60;

  function tokenize(text) {
    return String(text).split(SPLIT).filter(function (s) { return s.length > 0; })
      .map(function (s) { return s.toLowerCase(); });
  }

  // Trims everything but ASCII letters, digits and "_" from both ends.
  function trim(token) {
    return token.replace(/^[^0-9A-Za-z_]+/, "").replace(/[^0-9A-Za-z_]+$/, "");
  }

  var encoder = typeof TextEncoder !== "undefined" ? new TextEncoder() : null;
  var decoder = typeof TextDecoder !== "undefined" ? new TextDecoder() : null;

  // The Porter stemmer exactly as elasticlunr-rs runs it: on UTF-8 bytes, ASCII-lowercased.
  function stem(word) {
    var bytes = encoder.encode(word);
    if (bytes.length <= 2) return word;
    var b = Array.prototype.slice.call(bytes).map(function (c) { return c >= 65 && c <= 90 ? c + 32 : c; });
    var k = b.length, j = 0;
    var A = 97, E = 101, I = 105, O = 111, U = 117, Y = 121;
    function code(s) { return s.charCodeAt(0); }
    function cons(i) {
      var c = b[i];
      if (c === A || c === E || c === I || c === O || c === U) return false;
      if (c === Y) return i === 0 ? true : !cons(i - 1);
      return true;
    }
    function m() {
      var n = 0, i = 0;
      for (;;) { if (i >= j) return n; if (!cons(i)) break; i++; }
      i++;
      for (;;) {
        for (;;) { if (i >= j) return n; if (cons(i)) break; i++; }
        i++; n++;
        for (;;) { if (i >= j) return n; if (!cons(i)) break; i++; }
        i++;
      }
    }
    function vowelInStem() { for (var i = 0; i < j; i++) if (!cons(i)) return true; return false; }
    function doublec(i) { return i >= 1 && b[i] === b[i - 1] && b[i] < 128 && cons(i); }
    function cvc(i) {
      if (i < 2 || !cons(i) || cons(i - 1) || !cons(i - 2)) return false;
      var c = b[i];
      return !(c === code("w") || c === code("x") || c === Y);
    }
    function ends(s) {
      var len = s.length;
      if (len > k) return false;
      for (var x = 0; x < len; x++) if (b[k - len + x] !== s.charCodeAt(x)) return false;
      j = k - len;
      return true;
    }
    function setto(s) {
      for (var x = 0; x < s.length; x++) b[j + x] = s.charCodeAt(x);
      k = j + s.length;
    }
    function r(s) { if (m() > 0) setto(s); }
    function step1ab() {
      if (b[k - 1] === code("s")) {
        if (ends("sses")) k -= 2;
        else if (ends("ies")) setto("i");
        else if (b[k - 2] !== code("s")) k -= 1;
      }
      if (ends("eed")) { if (m() > 0) k -= 1; }
      else if ((ends("ed") || ends("ing")) && vowelInStem()) {
        k = j;
        if (ends("at")) setto("ate");
        else if (ends("bl")) setto("ble");
        else if (ends("iz")) setto("ize");
        else if (doublec(k - 1)) {
          k -= 1;
          var c = b[k - 1];
          if (c === code("l") || c === code("s") || c === code("z")) k += 1;
        } else if (m() === 1 && cvc(k - 1)) setto("e");
      }
    }
    function step1c() {
      if (k > 2 && ends("y")) {
        var c = b[k - 2];
        if (!(c === A || c === E || c === I || c === O || c === U)) b[k - 1] = I;
      }
    }
    function step2() {
      if (k < 2) return;
      switch (String.fromCharCode(b[k - 2])) {
        case "a": if (ends("ational")) { r("ate"); return; } if (ends("tional")) r("tion"); break;
        case "c": if (ends("enci")) { r("ence"); return; } if (ends("anci")) r("ance"); break;
        case "e": if (ends("izer")) r("ize"); break;
        case "l":
          if (ends("bli")) { r("ble"); return; }
          if (ends("alli")) { r("al"); return; }
          if (ends("entli")) { r("ent"); return; }
          if (ends("eli")) { r("e"); return; }
          if (ends("ousli")) r("ous");
          break;
        case "o":
          if (ends("ization")) { r("ize"); return; }
          if (ends("ation")) { r("ate"); return; }
          if (ends("ator")) r("ate");
          break;
        case "s":
          if (ends("alism")) { r("al"); return; }
          if (ends("iveness")) { r("ive"); return; }
          if (ends("fulness")) { r("ful"); return; }
          if (ends("ousness")) r("ous");
          break;
        case "t":
          if (ends("aliti")) { r("al"); return; }
          if (ends("iviti")) { r("ive"); return; }
          if (ends("biliti")) r("ble");
          break;
        case "g": if (ends("logi")) r("log"); break;
      }
    }
    function step3() {
      switch (String.fromCharCode(b[k - 1])) {
        case "e":
          if (ends("icate")) { r("ic"); return; }
          if (ends("ative")) { r(""); return; }
          if (ends("alize")) r("al");
          break;
        case "i": if (ends("iciti")) r("ic"); break;
        case "l": if (ends("ical")) { r("ic"); return; } if (ends("ful")) r(""); break;
        case "s": if (ends("ness")) r(""); break;
      }
    }
    function step4() {
      if (k < 2) return;
      var matched = false;
      switch (String.fromCharCode(b[k - 2])) {
        case "a": matched = ends("al"); break;
        case "c": matched = ends("ance") || ends("ence"); break;
        case "e": matched = ends("er"); break;
        case "i": matched = ends("ic"); break;
        case "l": matched = ends("able") || ends("ible"); break;
        case "n": matched = ends("ant") || ends("ement") || ends("ment") || ends("ent"); break;
        case "o":
          matched = (ends("ion") && j > 0 && (b[j - 1] === code("s") || b[j - 1] === code("t"))) || ends("ou");
          break;
        case "s": matched = ends("ism"); break;
        case "t": matched = ends("ate") || ends("iti"); break;
        case "u": matched = ends("ous"); break;
        case "v": matched = ends("ive"); break;
        case "z": matched = ends("ize"); break;
      }
      if (matched && m() > 1) k = j;
    }
    function step5() {
      j = k;
      if (b[k - 1] === E) {
        var a = m();
        if (a > 1 || (a === 1 && !cvc(k - 2))) k -= 1;
      }
      if (b[k - 1] === code("l") && doublec(k - 1) && m() > 1) k -= 1;
    }
    step1ab(); step1c(); step2(); step3(); step4(); step5();
    return decoder.decode(new Uint8Array(b.slice(0, k)));
  }

  // One raw token through trimmer, stop-word filter and stemmer; null when dropped.
  function term(token) {
    var t = trim(token);
    if (STOP_WORDS[t]) return null;
    t = stem(t);
    if (!t || encoder.encode(t).length > MAX_TOKEN_BYTES) return null;
    return t;
  }

  function terms(text) {
    return tokenize(text).map(term).filter(function (t) { return t !== null; });
  }

  // ---------------------------------------------------------------- rank order
  // Negative when hit `a` ranks before `b`: documents that match more of the query's words
  // come first, the score orders the rest, and the document number settles ties, so the order
  // is total and the same however it is reached.
  function byRank(a, b) { return b.words - a.words || b.score - a.score || a.doc - b.doc; }

  // Rearranges list[lo..hi) so that list[k] is the hit a full sort would put there, and every
  // hit before it ranks before it (Hoare's selection: linear on average, where a sort is not).
  function selectRank(list, lo, hi, k) {
    hi -= 1;
    while (hi > lo) {
      var pivot = list[(lo + hi) >> 1];
      var i = lo, j = hi;
      while (i <= j) {
        while (byRank(list[i], pivot) < 0) i++;
        while (byRank(list[j], pivot) > 0) j--;
        if (i <= j) { var t = list[i]; list[i] = list[j]; list[j] = t; i++; j--; }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  // `hits` in rank order, sorted only as far as they are read: the results panel reads a dozen
  // at a time from the top, and a query of common words on a big site matches tens of
  // thousands of sections. `slice(start, end)` is what a fully sorted array's would be.
  function ranked(hits) {
    var sorted = 0; // hits[0..sorted) are the best `sorted` hits, in order
    return {
      length: hits.length,
      slice: function (start, end) {
        end = Math.min(end, hits.length);
        if (end > sorted) {
          var want = Math.min(hits.length, Math.max(end, sorted * 2, 64));
          if (want < hits.length) selectRank(hits, sorted, hits.length, want - 1);
          var top = hits.slice(sorted, want).sort(byRank);
          for (var i = 0; i < top.length; i++) hits[sorted + i] = top[i];
          sorted = want;
        }
        return hits.slice(start, end);
      }
    };
  }

  // ---------------------------------------------------------------- postings
  // A term's postings are one string of base-32 numbers (search.rs, `write_postings`): how many
  // documents have the term, then for each, in document order, its distance from the previous
  // one and its weight. A number is written least significant digit first; a digit from the
  // first half of DIGITS ends it, one from the second half continues it.
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = new Int8Array(128);
  for (var d = 0; d < DIGITS.length; d++) DIGIT[DIGITS.charCodeAt(d)] = d;

  // Reads the postings `code`: calls count(n) with how many documents it lists, then
  // fn(doc, weight) for each, in document order. (The count comes first so that a caller can
  // weigh the term by it before the documents arrive: one pass over the string.)
  function eachPosting(code, count, fn) {
    var numbers = 0, doc = 0, gap = 0, value = 0, scale = 1;
    for (var i = 0; i < code.length; i++) {
      var digit = DIGIT[code.charCodeAt(i)];
      if (digit >= 32) {
        value += (digit - 32) * scale;
        scale *= 32;
        continue;
      }
      value += digit * scale;
      // The count, then gap and weight in turn.
      if (numbers === 0) count(value);
      else if (numbers % 2 === 1) gap = value;
      else { doc += gap; fn(doc, value); }
      numbers++;
      value = 0;
      scale = 1;
    }
  }

  var pipeline = {
    tokenize: tokenize, trim: trim, stem: stem, term: term, terms: terms, ranked: ranked,
    eachPosting: eachPosting
  };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = pipeline;
    return;
  }

  // ---------------------------------------------------------------- loading the index
  var MAX_QUERY = 100;
  var MAX_RESULTS = 10;
  var PER_PAGE = 2;

  var state = { manifest: null, pages: null, shards: {}, chunks: {}, waiting: {}, base: "" };
  function settle(key, value) {
    var list = state.waiting[key] || [];
    delete state.waiting[key];
    list.forEach(function (done) { done(value); });
  }
  global.flywheelSearch = {
    manifest: function (m) { state.manifest = m; settle("manifest", m); },
    pages: function (sections, kinds) { state.pages = pageTable(sections, kinds); settle("pages", state.pages); },
    terms: function (key, map) { state.shards[key] = map; settle("t:" + key, map); },
    docs: function (n, rows) { state.chunks[n] = rows; settle("d:" + n, rows); }
  };

  // Loads a script once; resolves when its data has arrived.
  function load(key, src, ready) {
    return new Promise(function (resolve) {
      if (ready()) return resolve(ready());
      var first = !state.waiting[key];
      (state.waiting[key] = state.waiting[key] || []).push(resolve);
      if (!first) return;
      var script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onerror = function () { settle(key, null); };
      document.head.appendChild(script);
    });
  }
  // The manifest, then the page table it names; null if either cannot be loaded.
  function loadIndex(src) {
    return load("manifest", src, function () { return state.manifest; }).then(function (m) {
      if (!m) return null;
      return load("pages", state.base + m.pages, function () { return state.pages; }).then(function (p) {
        return p ? m : null;
      });
    });
  }
  // Each document's page and each page's kind, from the page table: for every page in document
  // order, its number of documents (sections) and the index of its kind.
  function pageTable(sections, kinds) {
    var total = 0;
    for (var p = 0; p < sections.length; p++) total += sections[p];
    var page = new Int32Array(total);
    var doc = 0;
    for (p = 0; p < sections.length; p++) {
      for (var s = 0; s < sections[p]; s++) page[doc++] = p;
    }
    return { page: page, kind: kinds };
  }
  function loadShard(key) {
    var file = state.manifest.terms[key];
    if (!file) return Promise.resolve({});
    return load("t:" + key, state.base + file, function () { return state.shards[key]; });
  }
  function loadChunk(n) {
    return load("d:" + n, state.base + state.manifest.chunks[n], function () { return state.chunks[n]; });
  }
  // A term lives in the shard with the longest key (a term prefix, up to four characters) it
  // starts with; the single shard of a small site has the key "".
  function shardKey(t) {
    var chars = Array.from(t);
    for (var k = Math.min(4, chars.length); k >= 0; k--) {
      var key = chars.slice(0, k).join("");
      if (Object.prototype.hasOwnProperty.call(state.manifest.terms, key)) return key;
    }
    return "";
  }
  // The shards that can hold terms starting with `prefix`. A very short prefix on a big site
  // would need many shards; it waits for another keystroke instead (MAX_PREFIX_SHARDS).
  var MAX_PREFIX_SHARDS = 3;
  function prefixKeys(prefix) {
    var keys = Object.keys(state.manifest.terms).filter(function (k) { return k.indexOf(prefix) === 0; });
    keys = unique(keys.concat([shardKey(prefix)]));
    return keys.length <= MAX_PREFIX_SHARDS ? keys : [];
  }

  // ---------------------------------------------------------------- ranking
  // Parses a query into one group per word: its term, and for the word still being typed (the
  // last one, with no space after it) the prefixes it may be the start of.
  function parseQuery(query) {
    var raw = tokenize(query.slice(0, MAX_QUERY));
    var typing = raw.length > 0 && !/\s$/.test(query);
    var groups = [];
    raw.forEach(function (token, i) {
      var t = term(token);
      var prefixes = [];
      if (typing && i === raw.length - 1) {
        var trimmed = trim(token);
        if (trimmed.length >= 2) prefixes.push(trimmed);
        if (t && t !== trimmed && t.length >= 2) prefixes.push(t);
      }
      if (!t && !prefixes.length) return;
      var same = groups.filter(function (g) { return g.exact === t && t; })[0];
      if (same) same.prefixes = unique(same.prefixes.concat(prefixes));
      else groups.push({ exact: t, prefixes: prefixes });
    });
    return {
      groups: groups,
      exact: unique(groups.map(function (g) { return g.exact; }).filter(Boolean)),
      prefixes: unique([].concat.apply([], groups.map(function (g) { return g.prefixes; })))
    };
  }
  function unique(list) { return list.filter(function (x, i) { return list.indexOf(x) === i; }); }

  function postings(map, t) { return Object.prototype.hasOwnProperty.call(map, t) ? map[t] : null; }

  // Per-document scratch for ranking, one slot per document, made once per index and left
  // zeroed after each query: a query that matches tens of thousands of sections (a short
  // prefix on a big site) then costs array writes, not the growth of objects keyed by number.
  var scratch = null;
  function scratchFor(n) {
    if (!scratch || scratch.best.length !== n) {
      scratch = {
        best: new Float64Array(n),   // the current word's best score for each document
        scores: new Float64Array(n), // summed over the words so far
        words: new Uint16Array(n),   // how many of the query's words the document matches
        group: new Int32Array(n),    // documents the current word matched, in first-seen order
        all: new Int32Array(n)       // documents any word matched, in first-seen order
      };
    }
    return scratch;
  }

  // Scores every document: for each query word, the best of its exact term and (for the word
  // being typed) the terms it is a prefix of, each weighted by idf. Scores are positive
  // (weights are at least 1, and idf is above 0), so zero marks a document not yet matched.
  function rank(parsed, shards) {
    var n = state.manifest.docs;
    var s = scratchFor(n);
    var best = s.best, scores = s.scores, words = s.words, group = s.group, all = s.all;
    var matchedAll = 0;
    parsed.groups.forEach(function (g) {
      var matched = 0;
      function add(code, factor) {
        var idf = 0;
        function weigh(count) { idf = 1 + Math.log(n / (count + 1)); }
        eachPosting(code, weigh, function (doc, weight) {
          if (doc >= n) return;
          var score = weight * idf * factor;
          var was = best[doc];
          if (was === 0) group[matched++] = doc;
          if (was < score) best[doc] = score;
        });
      }
      if (g.exact) {
        var list = postings(shards[shardKey(g.exact)] || {}, g.exact);
        if (list) add(list, 1);
      }
      g.prefixes.forEach(function (prefix) {
        prefixKeys(prefix).forEach(function (key) {
          var shard = shards[key] || {};
          Object.keys(shard).forEach(function (t) {
            if (t !== g.exact && t.indexOf(prefix) === 0) add(shard[t], 0.6);
          });
        });
      });
      for (var i = 0; i < matched; i++) {
        var doc = group[i];
        if (words[doc] === 0) all[matchedAll++] = doc;
        scores[doc] += best[doc];
        words[doc] += 1;
        best[doc] = 0;
      }
    });
    var hits = new Array(matchedAll);
    for (var i = 0; i < matchedAll; i++) {
      var doc = all[i];
      hits[i] = { doc: doc, words: words[doc], score: scores[doc] };
      scores[doc] = 0;
      words[doc] = 0;
    }
    return ranked(hits);
  }

  function search(query) {
    var parsed = parseQuery(query);
    if (!parsed.groups.length) return Promise.resolve({ parsed: parsed, hits: ranked([]) });
    var keys = unique(parsed.exact.map(shardKey).concat([].concat.apply([], parsed.prefixes.map(prefixKeys))));
    return Promise.all(keys.map(loadShard)).then(function () {
      return { parsed: parsed, hits: rank(parsed, state.shards) };
    });
  }

  // Picks the top results, at most PER_PAGE sections of one page, optionally of one kind,
  // from the ranks and the page table alone, then loads the details of just those: every chunk
  // they need at once, one round of requests however far down the ranking they come from.
  var BATCH = 12;
  function details(hits, kind) {
    var chunk = state.manifest.chunk, kinds = state.manifest.kinds, table = state.pages;
    var picked = [], perPage = {};
    for (var start = 0; start < hits.length && picked.length < MAX_RESULTS; start += BATCH) {
      hits.slice(start, start + BATCH).forEach(function (h) {
        if (picked.length >= MAX_RESULTS) return;
        var page = table.page[h.doc];
        if (page === undefined) return;
        var k = kinds[table.kind[page]];
        if (!k) return;
        if (kind && k[0] !== kind) return;
        if ((perPage[page] || 0) >= PER_PAGE) return;
        perPage[page] = (perPage[page] || 0) + 1;
        picked.push({ doc: h.doc, page: page, kind: k[0], label: k[1] });
      });
    }
    var needed = unique(picked.map(function (p) { return Math.floor(p.doc / chunk); }));
    return Promise.all(needed.map(loadChunk)).then(function () {
      return picked.filter(function (p) {
        var rows = state.chunks[Math.floor(p.doc / chunk)];
        p.row = rows && rows[p.doc % chunk];
        return !!p.row;
      });
    });
  }

  // ---------------------------------------------------------------- the page
  // Pretty URLs end in "/"; opened from disk, a folder is not a page, so point at its index.html.
  function href(url) {
    var parts = url.split("#");
    var path = parts[0];
    if (global.location.protocol === "file:" && (path === "" || path.slice(-1) === "/")) path += "index.html";
    return state.base + path + (parts.length > 1 ? "#" + parts[1] : "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Appends `text` to `parent`, with the words that match the query inside <mark>.
  function highlight(parent, text, parsed) {
    var pieces = text.split(/([\s\-]+)/);
    pieces.forEach(function (piece) {
      var t = /[\s\-]/.test(piece) ? null : term(piece.toLowerCase());
      var raw = trim(piece.toLowerCase());
      var hit = t && (parsed.exact.indexOf(t) !== -1 ||
        parsed.prefixes.some(function (p) { return t.indexOf(p) === 0 || raw.indexOf(p) === 0; }));
      parent.appendChild(hit ? el("mark", "", piece) : document.createTextNode(piece));
    });
  }

  // A stretch of about 160 characters around the first matching word.
  function snippetText(text, parsed) {
    var words = text.split(/\s+/);
    var first = 0;
    for (var i = 0; i < words.length; i++) {
      var t = term(words[i].toLowerCase());
      if (t && (parsed.exact.indexOf(t) !== -1 || parsed.prefixes.some(function (p) { return t.indexOf(p) === 0; }))) {
        first = i;
        break;
      }
    }
    var start = Math.max(0, first - 8);
    var out = words.slice(start, start + 28).join(" ");
    return (start > 0 ? "… " : "") + out + (start + 28 < words.length ? " …" : "");
  }

  function init() {
    var box = document.querySelector(".search");
    if (!box) return;
    var input = box.querySelector(".search-input");
    var panel = box.querySelector(".search-panel");
    var list = box.querySelector(".search-results");
    var status = box.querySelector(".search-status");
    var filters = box.querySelectorAll(".search-filter");
    var indexSrc = box.getAttribute("data-index");
    state.base = box.getAttribute("data-root") || "";
    var kind = "";
    var active = -1;
    var generation = 0;
    box.hidden = false;

    function ready() { return loadIndex(indexSrc); }
    function open() { panel.hidden = false; input.setAttribute("aria-expanded", "true"); }
    function close() {
      panel.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function options() { return list.querySelectorAll("[role=option]"); }
    function select(n) {
      var items = options();
      if (!items.length) return;
      active = (n + items.length) % items.length;
      Array.prototype.forEach.call(items, function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function render(results, parsed, query) {
      while (list.firstChild) list.removeChild(list.firstChild);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      results.forEach(function (r, i) {
        var row = r.row;
        var item = el("li", "search-result");
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.id = "search-result-" + i;
        var link = el("a");
        link.href = href(row[2]);
        link.tabIndex = -1;
        var head = el("span", "result-head");
        head.appendChild(el("span", "result-kind", r.label));
        var title = el("span", "result-title");
        highlight(title, [row[0]].concat(row[1]).join(" › "), parsed);
        head.appendChild(title);
        link.appendChild(head);
        var snippet = el("span", "result-snippet");
        highlight(snippet, snippetText(row[3], parsed), parsed);
        link.appendChild(snippet);
        item.appendChild(link);
        item.addEventListener("mousedown", function (e) { e.preventDefault(); });
        list.appendChild(item);
      });
      status.textContent = results.length
        ? results.length + (results.length === 1 ? " result" : " results") + (kind ? " (filtered)" : "")
        : (query.trim() ? "No results for “" + query.trim() + "”" + (kind ? " with this filter" : "") : "");
      open();
    }

    function run() {
      var query = input.value.slice(0, MAX_QUERY);
      var mine = ++generation;
      if (!query.trim()) {
        render([], parseQuery(""), "");
        return;
      }
      ready().then(function (m) {
        if (!m) { status.textContent = "The search index could not be loaded."; open(); return null; }
        return search(query).then(function (found) {
          return details(found.hits, kind).then(function (results) {
            if (mine === generation) render(results, found.parsed, query);
          });
        });
      });
    }

    input.addEventListener("focus", function () { ready(); if (input.value.trim()) run(); });
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (panel.hidden) run(); else select(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); select(active - 1); }
      else if (e.key === "Enter") {
        var items = options();
        var target = items[active >= 0 ? active : 0];
        if (target) { e.preventDefault(); global.location.href = target.querySelector("a").href; }
      } else if (e.key === "Escape") {
        if (!panel.hidden) { e.preventDefault(); close(); } else { input.value = ""; input.blur(); }
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () { if (!box.contains(document.activeElement)) close(); }, 150);
    });
    list.addEventListener("click", function (e) {
      var item = e.target.closest && e.target.closest("[role=option]");
      if (item) global.location.href = item.querySelector("a").href;
    });
    Array.prototype.forEach.call(filters, function (button) {
      button.addEventListener("click", function () {
        kind = button.getAttribute("data-kind") || "";
        Array.prototype.forEach.call(filters, function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        input.focus();
        run();
      });
    });
    document.addEventListener("keydown", function (e) {
      var target = e.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        input.focus();
        ready();
      }
    });

    // ?q= opens the search with that query, so a search can be shared as a link.
    var q = new URLSearchParams(global.location.search).get("q");
    if (q) {
      input.value = q.slice(0, MAX_QUERY);
      input.focus();
      run();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})(typeof window !== "undefined" ? window : globalThis);
