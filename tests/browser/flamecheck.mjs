// Checks a flame graph SVG written by `hearth flame` against its own numbers
// and against `hearth fold`, for tests/cli/flame.sh. Plain node, no
// dependencies. Every check prints what went wrong (the first few cases) to
// stdout and makes the exit status 1; a clean run prints nothing.
//
//   node flamecheck.mjs struct SVG [--exact] [--sort name|size]
//       Geometry and tree shape: every frame's rect is value/total x plot
//       wide and starts at xpad + data-x/total x plot (within 0.01 px); its
//       depth (from y) is a whole number; frames at one depth do not
//       overlap; each has a parent (the frame one level nearer the root
//       whose value range holds it), drawn before it, never narrower than
//       it, and its rect lies within the parent's; siblings come in the
//       sort order, no two with one name; the
//       title states the value's share of the total; the text is the name
//       or a prefix of it ending in "..", no longer than the rect has room
//       for. With --exact (an SVG made with --min-width 0), nothing is
//       missing: each frame's self plus its children is its value, and the
//       self values of all frames add up to data-total.
//   node flamecheck.mjs fold SVG FOLDED [--base BASE_FOLDED [--normalize]]
//       The tree drawn (--min-width 0) is exactly the one the folded stacks
//       describe: the same root-to-frame paths, each path's value the sum
//       of the counts of the stacks it prefixes, its self value the count of
//       the stack equal to it. Paths whose value is not positive, and all
//       below them, are not drawn. With --base, data-b is the base's path
//       total (scaled by total/base total with --normalize) and each fill
//       is red where the value grew, blue where it shrank, grey where equal,
//       paler the smaller the change.
//   node flamecheck.mjs names SVG
//       Prints each frame's name (decoded), one per line.
import { readFileSync } from "node:fs";

const FRAME_H = 16;
const CHAR_W = 12 * 0.59;
// Attributes are printed with two decimals: each is within 0.005 of the
// exact value, a right edge (x + width) within 0.01.
const EPS = 0.01;

export const errors = [];
function fail(msg) {
  errors.push(msg);
}

function unescape(s) {
  return s.replace(/&(lt|gt|amp|quot|#39|#x[0-9a-fA-F]+|#[0-9]+);/g, (m, e) => {
    switch (e) {
      case "lt": return "<";
      case "gt": return ">";
      case "amp": return "&";
      case "quot": return '"';
      case "#39": return "'";
    }
    return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attrs(s) {
  const out = {};
  for (const m of s.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]] = unescape(m[2]);
  return out;
}

// Reads the SVG into { root: attributes, frames: [...] } with each frame's
// data attributes, rect geometry, fill, name, title and text, plus its depth
// and parent (null for the root and for frames no parent holds, which is
// an error). The browser test uses it to find frames by path.
export function parse(path) {
  const src = readFileSync(path, "utf8");
  const rootTag = src.match(/<svg\b([^>]*)>/);
  if (!rootTag) throw new Error(`${path}: no <svg> element`);
  const root = attrs(rootTag[1]);
  const total = Number(root["data-total"]);
  const plot = Number(root["data-plot"]);
  const xpad = Number(root["data-xpad"]);
  const inverted = root["data-inverted"] === "1";
  const frames = [];
  const re = /<g class="f"([^>]*)><title>([^<]*)<\/title><rect([^>]*)\/><text([^>]*)>([^<]*)<\/text><\/g>/g;
  for (const m of src.matchAll(re)) {
    const g = attrs(m[1]), r = attrs(m[3]);
    const title = unescape(m[2]);
    const nl = title.lastIndexOf("\n");
    const fill = (r.fill || "").match(/^rgb\((\d+),(\d+),(\d+)\)$/);
    frames.push({
      i: frames.length,
      x: Number(g["data-x"]), v: Number(g["data-v"]), s: Number(g["data-s"]),
      // Drawn width in value units: data-w when negative siblings (delta
      // profiles) left the frame less room than its value.
      w: Number("data-w" in g ? g["data-w"] : g["data-v"]), hasW: "data-w" in g,
      b: "data-b" in g ? Number(g["data-b"]) : null,
      inline: g["data-inline"] === "1",
      name: nl >= 0 ? title.slice(0, nl) : title,
      valueLine: nl >= 0 ? title.slice(nl + 1) : "",
      rx: Number(r.x), ry: Number(r.y), rw: Number(r.width),
      fill: fill ? [Number(fill[1]), Number(fill[2]), Number(fill[3])] : null,
      text: unescape(m[5]),
    });
  }
  const opened = (src.match(/<g class="f"/g) || []).length;
  if (opened !== frames.length)
    fail(`${opened} <g class="f"> elements but ${frames.length} parse as frames`);
  if (!frames.length) throw new Error(`${path}: no frames`);
  const rootY = frames[0].ry;
  for (const f of frames) {
    const d = (inverted ? f.ry - rootY : rootY - f.ry) / FRAME_H;
    f.depth = d;
    if (!Number.isInteger(d) || d < 0) fail(`frame ${f.i} (${f.name}): y ${f.ry} is not a whole number of levels from the root's ${rootY}`);
  }
  // Parents: at each depth, frames sorted by x; a frame's parent is the
  // frame one level up whose value range [x, x+v) holds x.
  const byDepth = new Map();
  for (const f of frames) {
    if (!byDepth.has(f.depth)) byDepth.set(f.depth, []);
    byDepth.get(f.depth).push(f);
  }
  for (const [d, list] of byDepth) {
    list.sort((a, b) => a.x - b.x || a.i - b.i);
    for (let k = 1; k < list.length; k++) {
      const a = list[k - 1], b = list[k];
      if (b.x < a.x + a.w)
        fail(`frames ${a.i} (${a.name}, x ${a.x}, value ${a.v}) and ${b.i} (${b.name}, x ${b.x}) overlap at depth ${d}`);
    }
  }
  for (const f of frames) {
    f.children = [];
    f.parent = null;
  }
  for (const f of frames) {
    if (f.i === 0) continue;
    // The last frame one level up that starts at or before f (frames at a
    // level do not overlap: checked above).
    const up = byDepth.get(f.depth - 1) || [];
    let lo = 0, hi = up.length - 1, p = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (up[mid].x <= f.x) { p = up[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    if (!p || f.x >= p.x + p.w) {
      fail(`frame ${f.i} (${f.name}, depth ${f.depth}, x ${f.x}): no frame one level up holds it`);
      continue;
    }
    f.parent = p;
    p.children.push(f);
  }
  return { root, total, plot, xpad, inverted, frames };
}

// The share of samples with a frame matching re, from folded text: what
// "Matched: X%" means. Restricted to stacks that start with prefix (the
// zoomed frame's path), as a share of those.
export function matchedShare(folded, re, prefix = []) {
  let sum = 0, of = 0;
  for (const line of folded.split("\n")) {
    if (!line.trim()) continue;
    const sp = line.lastIndexOf(" ");
    const names = line.slice(0, sp).split(";"), n = Number(line.slice(sp + 1));
    if (prefix.some((p, i) => names[i] !== p)) continue;
    of += n;
    if (names.some((f) => re.test(f))) sum += n;
  }
  return { sum, of, pct: ((100 * sum) / of).toFixed(2) + "%" };
}

export function pathOf(f) {
  const names = [];
  for (let p = f; p && p.i !== 0; p = p.parent) names.push(p.name);
  return names.reverse().join(";");
}

function fmtPct(v, total) {
  return (total ? (100 * v) / total : 0).toFixed(2) + "%";
}

function checkStruct(t, opts) {
  const { total, plot, xpad, frames } = t;
  const r = frames[0];
  if (r.name !== "all") fail(`the first frame is "${r.name}", not "all"`);
  if (r.v !== total) fail(`root value ${r.v} != data-total ${total}`);
  if (r.depth !== 0 || r.x !== 0) fail(`root at depth ${r.depth}, x ${r.x}`);
  if (!(plot > 0)) fail(`data-plot ${plot}`);
  const svgWidth = Number(t.root.width);
  if (Math.abs(svgWidth - 2 * xpad - plot) > EPS) fail(`width ${svgWidth} != 2 * xpad ${xpad} + plot ${plot}`);
  for (const f of frames) {
    const what = `frame ${f.i} (${f.name})`;
    // The root's drawn width is the scale: the total, or in a delta
    // profile the sum of what grew (data-w).
    const scaleBy = frames[0].w;
    const w = scaleBy > 0 ? (f.w / scaleBy) * plot : 0;
    const x = scaleBy > 0 ? xpad + (f.x / scaleBy) * plot : xpad;
    if (Math.abs(f.rw - w) > EPS) fail(`${what}: width ${f.rw}, value ${f.w}/${total} of ${plot} px is ${w.toFixed(4)}`);
    if (f.hasW && !(f.w > f.v)) fail(`${what}: data-w ${f.w} is not more than its value ${f.v} (only negative values may make them differ)`);
    if (Math.abs(f.rx - x) > EPS) fail(`${what}: x ${f.rx}, data-x ${f.x} puts it at ${x.toFixed(4)}`);
    if (f.i !== 0 && !(f.w > 0)) fail(`${what}: drawn with width ${f.w}`);
    const want = fmtPct(f.v, total);
    if (!f.valueLine.includes(` (${want}), self `)) fail(`${what}: title "${f.valueLine}" does not say (${want}), self`);
    // The text is the name, or its first characters and "..", fitted to
    // the room flame.c computes from the unrounded width.
    const chars = Array.from(f.name), tchars = Array.from(f.text);
    const roomHi = Math.floor((f.rw + 0.005 - 6) / CHAR_W);
    const roomLo = Math.floor((f.rw - 0.005 - 6) / CHAR_W);
    if (f.text !== "") {
      if (tchars.length > roomHi) fail(`${what}: text "${f.text}" is ${tchars.length} characters, room for ${roomHi}`);
      const cut = f.text !== f.name;
      if (cut && !(f.text.endsWith("..") && tchars.slice(0, -2).join("") === chars.slice(0, tchars.length - 2).join("")))
        fail(`${what}: text "${f.text}" is neither the name nor a prefix of it and ".."`);
    } else if (roomLo >= 3 && chars.length > 0) {
      fail(`${what}: no text although ${roomLo} characters fit`);
    }
    if (f.parent) {
      const p = f.parent;
      if (p.i > f.i) fail(`${what}: its parent ${p.i} (${p.name}) comes after it`);
      if (f.w > p.w) fail(`${what}: drawn value ${f.w} exceeds its parent's ${p.w} (${p.name})`);
      if (f.rw > p.rw + EPS) fail(`${what}: width ${f.rw} exceeds its parent's ${p.rw} (${p.name})`);
      if (f.rx < p.rx - EPS || f.rx + f.rw > p.rx + p.rw + 2 * EPS)
        fail(`${what}: [${f.rx}, ${(f.rx + f.rw).toFixed(2)}] is not within its parent's [${p.rx}, ${(p.rx + p.rw).toFixed(2)}] (${p.name})`);
    }
  }
  // Values below zero (delta profiles) are not drawn, so sums of what is
  // drawn can only be checked when the profile has none.
  const negative = frames.some((f) => f.hasW) || frames.some((f) => f.s < 0 || f.v < 0);
  let selfSum = 0;
  for (const f of frames) {
    selfSum += f.s;
    const kids = f.children.slice().sort((a, b) => a.x - b.x);
    let sum = 0;
    for (let k = 0; k < kids.length; k++) {
      sum += kids[k].v;
      if (k > 0) {
        const a = kids[k - 1], b = kids[k];
        if (b.x < a.x + a.w) fail(`frames ${a.i} (${a.name}) and ${b.i} (${b.name}) overlap under ${f.name}`);
        if (a.name === b.name) fail(`two children named ${a.name} under ${f.name}`);
        const inOrder = opts.sort === "size"
          ? a.v > b.v || (a.v === b.v && Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)) < 0)
          : Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)) < 0;
        if (!inOrder) fail(`children of ${f.name} out of ${opts.sort} order: ${a.name} (${a.v}) before ${b.name} (${b.v})`);
      }
    }
    if (kids.length && kids[0].x < f.x) fail(`first child of ${f.name} starts before it`);
    if (negative) continue;
    if (f.s + sum > f.v) fail(`frame ${f.i} (${f.name}): self ${f.s} + children ${sum} > value ${f.v}`);
    if (opts.exact && f.s + sum !== f.v) fail(`frame ${f.i} (${f.name}): self ${f.s} + children ${sum} != value ${f.v}`);
  }
  if (opts.exact && !negative && selfSum !== total) fail(`self values add up to ${selfSum}, data-total is ${total}`);
}

// Folded text -> Map(path -> {v, s}) of every prefix.
function prefixTotals(path) {
  const out = new Map();
  let total = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const sp = line.lastIndexOf(" ");
    const stack = line.slice(0, sp), n = Number(line.slice(sp + 1));
    if (!Number.isFinite(n)) throw new Error(`${path}: bad line ${line}`);
    total += n;
    const names = stack.split(";");
    for (let k = 1; k <= names.length; k++) {
      const p = names.slice(0, k).join(";");
      const e = out.get(p) || { v: 0, s: 0 };
      e.v += n;
      if (k === names.length) e.s += n;
      out.set(p, e);
    }
  }
  return { paths: out, total };
}

function checkFold(t, foldedPath, basePath, normalize) {
  const want = prefixTotals(foldedPath);
  const base = basePath ? prefixTotals(basePath) : null;
  if (t.total !== want.total) fail(`data-total ${t.total}, the folded counts add up to ${want.total}`);
  // What must be drawn: positive paths whose every prefix is positive.
  const drawable = new Set();
  for (const [p, e] of want.paths) {
    if (!(e.v > 0)) continue;
    const names = p.split(";");
    let okAll = true;
    for (let k = 1; k < names.length && okAll; k++) okAll = want.paths.get(names.slice(0, k).join(";")).v > 0;
    if (okAll) drawable.add(p);
  }
  const seen = new Set();
  let maxDelta = 0;
  for (const f of t.frames) {
    if (f.i !== 0 && f.b !== null) maxDelta = Math.max(maxDelta, Math.abs(f.v - f.b));
  }
  for (const f of t.frames) {
    if (f.i !== 0 && !f.parent) continue;
    const p = f.i === 0 ? "" : pathOf(f);
    const what = f.i === 0 ? "root" : `"${p}"`;
    if (f.i !== 0) {
      if (seen.has(p)) fail(`${what} drawn twice`);
      seen.add(p);
      const e = want.paths.get(p);
      if (!e) { fail(`${what} is drawn but no folded stack has it`); continue; }
      if (e.v !== f.v) fail(`${what}: value ${f.v}, folded total ${e.v}`);
      if (e.s !== f.s) fail(`${what}: self ${f.s}, folded count ${e.s}`);
    }
    if (base) {
      const bv = f.i === 0 ? base.total : (base.paths.get(p) || { v: 0 }).v;
      if (f.b === null) { fail(`${what}: no data-b`); continue; }
      if (normalize) {
        const scaled = base.total ? (bv * want.total) / base.total : bv;
        if (Math.abs(f.b - scaled) > 1) fail(`${what}: data-b ${f.b}, normalized base ${bv} x ${want.total}/${base.total} = ${scaled.toFixed(1)}`);
      } else if (f.b !== bv) {
        fail(`${what}: data-b ${f.b}, base total ${bv}`);
      }
      if (f.i !== 0) checkDiffColor(f, what, maxDelta);
    }
  }
  for (const p of drawable) if (!seen.has(p)) fail(`"${p}" (${want.paths.get(p).v}) is not drawn`);
  if (base) {
    const grew = t.frames.filter((f) => f.i && f.v > f.b).length;
    const shrank = t.frames.filter((f) => f.i && f.v < f.b).length;
    console.error(`${grew} frames grew, ${shrank} shrank, max delta ${maxDelta}`);
  }
}

// colors.c: a fade of 215 - 175 |delta| / max delta; red (255, fade, fade)
// for growth, blue (fade, fade, 255) for shrinkage, grey 235 for none.
function checkDiffColor(f, what, maxDelta) {
  if (!f.fill) { fail(`${what}: fill is not rgb(r,g,b)`); return; }
  const [r, g, b] = f.fill, d = f.v - f.b;
  if (d === 0) {
    if (r !== 235 || g !== 235 || b !== 235) fail(`${what}: unchanged (${f.v}) but fill rgb(${f.fill})`);
    return;
  }
  const fade = 215 - (175 * Math.min(1, Math.abs(d) / maxDelta));
  if (d > 0 && !(r === 255 && g === b && g < 255)) fail(`${what}: grew ${f.b} -> ${f.v} but fill rgb(${f.fill}) is not red`);
  if (d < 0 && !(b === 255 && r === g && r < 255)) fail(`${what}: shrank ${f.b} -> ${f.v} but fill rgb(${f.fill}) is not blue`);
  const got = d > 0 ? g : r;
  if (Math.abs(got - fade) > 1) fail(`${what}: delta ${d} of max ${maxDelta} wants a fade of ${fade.toFixed(1)}, fill rgb(${f.fill})`);
}

function printNames(path) {
  const t = parse(path);
  for (const f of t.frames) console.log(f.name);
}

function main(argv) {
  const [cmd, svg, ...rest] = argv;
  const opt = (name) => {
    const k = rest.indexOf(name);
    return k >= 0 ? rest[k + 1] : undefined;
  };
  if (cmd === "struct") {
    checkStruct(parse(svg), { exact: rest.includes("--exact"), sort: opt("--sort") || "name" });
  } else if (cmd === "fold") {
    checkFold(parse(svg), rest[0], opt("--base"), rest.includes("--normalize"));
  } else if (cmd === "names") {
    printNames(svg);
  } else {
    console.error("usage: flamecheck.mjs struct|fold|names SVG ...");
    process.exit(2);
  }
  if (errors.length) {
    for (const e of errors.slice(0, 8)) console.log(e);
    if (errors.length > 8) console.log(`... and ${errors.length - 8} more`);
    process.exit(1);
  }
}

if ((process.argv[1] || "").endsWith("flamecheck.mjs")) main(process.argv.slice(2));
