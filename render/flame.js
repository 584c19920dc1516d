// hearth flame graph interaction: hover details, click to zoom, Reset Zoom,
// regex search with "Matched: X%", zoom and search kept in the URL hash.
// Embedded in every SVG by render/flame.c. Text is only ever set through
// textContent: frame names come from untrusted profiles.
(function () {
  "use strict";
  var svg = document.documentElement;
  var unit = svg.getAttribute("data-unit") || "";
  var total = Number(svg.getAttribute("data-total")) || 0;
  var inverted = svg.getAttribute("data-inverted") === "1";
  var diff = svg.getAttribute("data-diff") === "1";
  var xpad = Number(svg.getAttribute("data-xpad"));
  var plot = Number(svg.getAttribute("data-plot"));
  var charW = 12 * 0.59;
  var frames = [];
  var zoomed = null;
  var searchRe = null;
  var details, matchedText, unzoomBtn;

  function el(id) { return document.getElementById(id); }

  function human(v) {
    var u = unit.toLowerCase(), a = Math.abs(v), names, i;
    if (u === "bytes" || u === "byte" || u === "b") {
      names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
      for (i = 0; a >= 1024 && i < 5; i++) { a /= 1024; v /= 1024; }
      return i === 0 ? v + " B" : v.toFixed(2) + " " + names[i];
    }
    var ns = { nanoseconds: 1, nanosecond: 1, ns: 1, microseconds: 1e3,
               us: 1e3, milliseconds: 1e6, ms: 1e6, seconds: 1e9, s: 1e9 }[u];
    if (ns) {
      v *= ns; a *= ns;
      if (a >= 1e9) return (v / 1e9).toFixed(2) + " s";
      if (a >= 1e6) return (v / 1e6).toFixed(2) + " ms";
      if (a >= 1e3) return (v / 1e3).toFixed(2) + " us";
      return v.toFixed(0) + " ns";
    }
    if (u === "" || u === "count" || u === "samples") return String(v);
    return v + " " + unit;
  }

  function pct(v, of) { return of ? (100 * v / of).toFixed(2) + "%" : "0.00%"; }

  // The name, or as much of it as fits and "..". The estimate of charW per
  // character (what hearth used when it wrote the file) is too small for
  // wide glyphs (CJK, emoji, U+FFFD for bad bytes) and capitals, so the
  // text is measured and cut further until it stays within its frame.
  function fitText(f, widthPx) {
    var room = Math.floor((widthPx - 6) / charW);
    var chars = Array.from(f.name);
    var s = "";
    if (room >= 3) {
      s = chars.length <= room ? f.name : chars.slice(0, room - 2).join("") + "..";
    }
    f.text.textContent = s;
    if (s && f.text.getComputedTextLength() > widthPx - 6) {
      var lo = 0, hi = Math.min(chars.length - 1, room - 2);
      while (lo < hi) {   // the longest prefix whose text fits
        var mid = Math.ceil((lo + hi) / 2);
        f.text.textContent = chars.slice(0, mid).join("") + "..";
        if (f.text.getComputedTextLength() <= widthPx - 6) lo = mid; else hi = mid - 1;
      }
      f.text.textContent = lo ? chars.slice(0, lo).join("") + ".." : "";
    }
  }

  function load() {
    var gs = document.querySelectorAll("#frames > g.f");
    for (var i = 0; i < gs.length; i++) {
      var g = gs[i], rect = g.querySelector("rect"), title = g.querySelector("title");
      var t = title ? title.textContent : "";
      var nl = t.lastIndexOf("\n");
      frames.push({
        g: g, rect: rect, text: g.querySelector("text"), index: i,
        name: nl >= 0 ? t.slice(0, nl) : t,
        x: Number(g.getAttribute("data-x")), v: Number(g.getAttribute("data-v")),
        // The drawn width in value units: data-w when a delta profile's
        // negative siblings left less room than the value.
        w: Number(g.getAttribute(g.hasAttribute("data-w") ? "data-w" : "data-v")),
        s: Number(g.getAttribute("data-s")),
        b: g.hasAttribute("data-b") ? Number(g.getAttribute("data-b")) : null,
        inl: g.getAttribute("data-inline") === "1",
        y: Number(rect.getAttribute("y")),
        x0: Number(rect.getAttribute("x")), w0: Number(rect.getAttribute("width"))
      });
      g.setAttribute("data-index", String(i));
    }
    for (var j = 0; j < frames.length; j++) {
      var f = frames[j];
      if (f.text.textContent && f.text.getComputedTextLength() > f.w0 - 6) fitText(f, f.w0);
    }
  }

  // Deeper frames are drawn above (flame) or below (icicle).
  function deeper(a, b) { return inverted ? a.y > b.y : a.y < b.y; }

  function describe(f) {
    var base = zoomed || frames[0];
    var s = f.name + " (" + human(f.v) + ", " + pct(f.v, total) + " of total";
    if (zoomed) s += ", " + pct(f.v, base.v) + " of zoomed";
    s += ", self " + human(f.s);
    if (diff && f.b !== null) {
      var d = f.v - f.b;
      s += ", base " + human(f.b) + ", delta " + (d >= 0 ? "+" : "") + human(d);
    }
    if (f.inl) s += ", inline";
    return s + ")";
  }

  function saveState() {
    var parts = [];
    if (zoomed && zoomed.index !== 0) parts.push("z=" + zoomed.index);
    if (searchRe) parts.push("s=" + encodeURIComponent(searchRe.source));
    var h = parts.length ? "#" + parts.join("&") : "";
    try {
      history.replaceState(null, "", location.pathname + location.search + h);
    } catch (e) {
      if (h || location.hash) location.hash = h;
    }
  }

  // Within the zoomed frame z: z itself and every frame it calls.
  function inside(o, z) {
    return o === z || (deeper(o, z) && o.x >= z.x && o.x < z.x + z.w);
  }

  // A frame that holds all of z: one of its callers.
  function holds(o, z) {
    return o !== z && !deeper(o, z) && o.x <= z.x && o.x + o.w >= z.x + z.w;
  }

  function zoom(f) {
    if (!f) return;
    zoomed = f.index === 0 ? null : f;
    var z = f;
    for (var i = 0; i < frames.length; i++) {
      var o = frames[i], show, x, w;
      if (!zoomed) {
        show = true; x = o.x0; w = o.w0;
      } else if (inside(o, z)) {
        show = true;
        x = xpad + (o.x - z.x) / z.w * plot; w = o.w / z.w * plot;
      } else if (holds(o, z)) {
        show = true; x = xpad; w = plot;   // an ancestor: full width
      } else {
        show = false;
      }
      // Zooming in can leave frames too narrow to see; unzoomed, every
      // frame the file has is shown again.
      o.g.classList.toggle("hide", !show || (zoomed !== null && w < 0.1));
      if (show) {
        o.rect.setAttribute("x", x.toFixed(2));
        o.rect.setAttribute("width", w.toFixed(2));
        o.text.setAttribute("x", (x + 3).toFixed(2));
        fitText(o, w);
      }
    }
    unzoomBtn.classList.toggle("hide", !zoomed);
    if (searchRe) search(searchRe);
    saveState();
  }

  // Highlights the frames whose name matches re and returns the value of
  // the samples (of the zoomed frame, when zoomed) with a matching frame.
  function search(re) {
    searchRe = re;
    var sum = 0, matched = [], all = false;
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i], m = !!re && re.test(f.name);
      f.g.classList.toggle("m", m);
      if (!m) continue;
      if (!zoomed || inside(f, zoomed)) matched.push(f);
      else if (holds(f, zoomed)) all = true;   // a caller of every sample shown
    }
    // Count each matched stack once: skip matches inside another match.
    matched.sort(function (a, b) { return a.x - b.x || (deeper(a, b) ? 1 : -1); });
    var end = -1;
    for (var j = 0; j < matched.length; j++) {
      if (matched[j].x >= end) { sum += matched[j].v; end = matched[j].x + matched[j].w; }
    }
    if (all) sum = zoomed.v;
    var base = zoomed ? zoomed.v : total;
    if (re) {
      matchedText.textContent = "Matched: " + pct(Math.min(sum, base), base) +
          (zoomed ? " of zoomed" : " of total");
      el("search").textContent = "Reset Search";
    } else {
      matchedText.textContent = " ";
      el("search").textContent = "Search";
    }
    saveState();
    return sum;
  }

  function askSearch() {
    if (searchRe) { search(null); return; }
    var s = window.prompt("Search for (regular expression):", "");
    if (s === null || s === "") return;
    try { search(new RegExp(s)); } catch (e) { matchedText.textContent = "Bad pattern"; }
  }

  function restore() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return;
    var parts = h.split("&");
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split("="), k = kv[0], v = kv.slice(1).join("=");
      if (k === "z" && frames[Number(v)]) zoom(frames[Number(v)]);
      if (k === "s") { try { search(new RegExp(decodeURIComponent(v))); } catch (e) {} }
    }
  }

  function init() {
    details = el("details"); matchedText = el("matched"); unzoomBtn = el("unzoom");
    load();
    var box = el("frames");
    box.addEventListener("mouseover", function (e) {
      var g = e.target.closest ? e.target.closest("g.f") : null;
      if (g) details.textContent = describe(frames[Number(g.getAttribute("data-index"))]);
    });
    box.addEventListener("mouseout", function () { details.textContent = " "; });
    box.addEventListener("click", function (e) {
      var g = e.target.closest ? e.target.closest("g.f") : null;
      if (g) zoom(frames[Number(g.getAttribute("data-index"))]);
    });
    unzoomBtn.addEventListener("click", function () { zoom(frames[0]); });
    el("search").addEventListener("click", askSearch);
    window.addEventListener("keydown", function (e) {
      if ((e.ctrlKey && (e.key === "f" || e.key === "F")) || e.key === "F3") {
        e.preventDefault();
        askSearch();
      }
    });
    restore();
    // For tests and the console: the same operations without a prompt.
    window.hearthFlame = {
      zoom: function (i) { zoom(frames[i] || frames[0]); },
      search: function (s) { return search(s ? new RegExp(s) : null); },
      frames: frames
    };
  }

  if (document.readyState === "loading") window.addEventListener("load", init);
  else init();
})();
