// The flame graph's script in a real browser: headless Chromium (the
// system's /usr/bin/chromium, driven by playwright-core; nothing is
// downloaded) opens SVGs written by `hearth flame` through file:// and is
// used as a person would: hover, click to zoom, Reset Zoom, Ctrl-F search,
// reload with the URL hash. Expected figures come from the inputs (folded
// stacks) and the SVG's data attributes, never from the script itself.
//
//   node flame.test.mjs --hearth build/hearth --out tests/out --fixtures ../shared/fixtures
//
// Prints PASS/FAIL per check and "N passed, N failed"; exits 1 on a
// failure. Screenshots go to --out. Run by tests/cli/browser.sh.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { arg, expect, finish, HEARTH, launch, notOk, ok, OUT, root } from "./harness.mjs";
import { matchedShare, parse, pathOf } from "./flamecheck.mjs";
import { encode, specs } from "./mkpprof.mjs";

const FIXTURES = resolve(root, arg("--fixtures", process.env.HEARTH_FIXTURES || "../shared/fixtures"));
const golden = join(root, "tests/golden/flame");
function expectEq(name, got, want) {
  got === want ? ok(name) : notOk(name, `got  ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`);
}
const near = (a, b) => Math.abs(a - b) <= 0.011;

function flame(input, out, ...args) {
  execFileSync(HEARTH, ["flame", input, "-o", out, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "hearth-browser-"));
mkdirSync(OUT, { recursive: true });
let browser = null;

// Opens an SVG in a fresh page that records script errors and dialogs.
async function open(svg, hash = "") {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.errors = [];
  page.dialogs = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(m.text()); });
  page.on("dialog", async (d) => { page.dialogs.push(d.message()); await d.dismiss(); });
  page.setDefaultTimeout(5000);
  await page.goto(pathToFileURL(svg).href + hash);
  return page;
}

const rectOf = (page, i) => page.evaluate((i) => {
  const g = document.querySelector(`#frames > g.f:nth-of-type(${i + 1})`);
  const r = g.querySelector("rect");
  return { x: Number(r.getAttribute("x")), w: Number(r.getAttribute("width")),
    hidden: g.classList.contains("hide"), matched: g.classList.contains("m"),
    text: g.querySelector("text").textContent };
}, i);
// A screenshot of the SVG's own area.
async function shot(page, name) {
  const clip = await page.evaluate(() => {
    const s = document.documentElement;
    return { x: 0, y: 0, width: Number(s.getAttribute("width")), height: Number(s.getAttribute("height")) };
  });
  await page.screenshot({ path: join(OUT, name), clip });
}
const textOf = (page, id) => page.evaluate((id) => document.getElementById(id).textContent, id);
const isHidden = (page, id) => page.evaluate((id) => document.getElementById(id).classList.contains("hide"), id);
const frameSel = (i) => `#frames > g.f:nth-of-type(${i + 1}) rect`;
// Visible frames whose text runs past the right edge of their rect.
const overflowing = (page) => page.evaluate(() => {
  const out = [];
  for (const g of document.querySelectorAll("#frames > g.f:not(.hide)")) {
    const t = g.querySelector("text"), r = g.querySelector("rect");
    if (!t.textContent) continue;
    const right = Number(t.getAttribute("x")) + t.getComputedTextLength();
    const edge = Number(r.getAttribute("x")) + Number(r.getAttribute("width"));
    if (right > edge + 0.5) out.push(`"${t.textContent}" ends at ${right.toFixed(1)}, its frame at ${edge.toFixed(1)}`);
  }
  return out;
});

try {
  browser = await launch();

  // --- the main graph: simple.folded, count unit -------------------------
  const foldedPath = join(golden, "simple.folded");
  const folded = readFileSync(foldedPath, "utf8");
  const svg = flame(foldedPath, join(tmp, "simple.svg"), "--min-width", "0");
  const t = parse(svg);
  const byPath = (p) => t.frames.find((f) => f.i && pathOf(f) === p);
  const handle = byPath("main;serve;handle"), render = byPath("main;serve;handle;render");
  const fmt = byPath("main;serve;handle;render;fmt"), serve = byPath("main;serve");
  const gc = byPath("gc"), init = byPath("main;init"), recurse = byPath("main;serve;recurse");
  const parseInServe = byPath("main;serve;handle;parse");

  let page = await open(svg);
  const n = await page.evaluate(() => window.hearthFlame && window.hearthFlame.frames.length);
  expectEq("loads: window.hearthFlame sees every frame", n, t.frames.length);
  expectEq("loads: no #details text yet", await textOf(page, "details"), " ");

  // Hover: the details line, counts shown as plain numbers.
  await page.hover(frameSel(parseInServe.i));
  expectEq("hover: #details describes the frame", await textOf(page, "details"),
    `parse (${parseInServe.v}, ${((100 * parseInServe.v) / t.total).toFixed(2)}% of total, self ${parseInServe.s})`);
  await page.mouse.move(5, 5);
  expectEq("mouseout: #details is cleared", await textOf(page, "details"), " ");

  // Click to zoom into main;serve;handle.
  const before = [];
  for (const f of t.frames) before.push(await rectOf(page, f.i));
  await page.click(frameSel(handle.i));
  let r = await rectOf(page, handle.i);
  expect("zoom: the clicked frame spans the plot", near(r.x, t.xpad) && near(r.w, t.plot) && !r.hidden,
    `x ${r.x} width ${r.w}, want ${t.xpad} ${t.plot}`);
  for (const d of [render, fmt, parseInServe]) {
    r = await rectOf(page, d.i);
    const wx = t.xpad + ((d.x - handle.x) / handle.v) * t.plot, ww = (d.v / handle.v) * t.plot;
    expect(`zoom: descendant ${pathOf(d)} is rescaled`, near(r.x, wx) && near(r.w, ww) && !r.hidden,
      `x ${r.x} width ${r.w}, want ${wx.toFixed(2)} ${ww.toFixed(2)}`);
  }
  r = await rectOf(page, serve.i);
  expect("zoom: a caller spans the plot", near(r.x, t.xpad) && near(r.w, t.plot) && !r.hidden, JSON.stringify(r));
  for (const u of [gc, init, recurse]) {
    r = await rectOf(page, u.i);
    const visible = await page.isVisible(frameSel(u.i));
    expect(`zoom: unrelated ${pathOf(u)} is hidden`, r.hidden && !visible, JSON.stringify(r));
  }
  expect("zoom: Reset Zoom is shown", await page.isVisible("#unzoom"));
  let hash = await page.evaluate(() => location.hash);
  expect("zoom: the hash has z=INDEX", new RegExp(`(^#|&)z=${handle.i}(&|$)`).test(hash), `hash ${hash}`);
  await page.hover(frameSel(render.i));
  expectEq("zoom: hover tells the share of the zoomed frame", await textOf(page, "details"),
    `render (${render.v}, ${((100 * render.v) / t.total).toFixed(2)}% of total, ` +
    `${((100 * render.v) / handle.v).toFixed(2)}% of zoomed, self ${render.s})`);
  let over = await overflowing(page);
  expect("zoom: texts stay inside their frames", over.length === 0, over.slice(0, 3).join("\n"));
  await shot(page, "flame-zoomed.png");

  // Reset Zoom.
  await page.click("#unzoom");
  const after = [];
  for (const f of t.frames) after.push(await rectOf(page, f.i));
  const moved = t.frames.filter((f) => before[f.i].x !== after[f.i].x || before[f.i].w !== after[f.i].w ||
    after[f.i].hidden || before[f.i].text !== after[f.i].text);
  expect("reset zoom: every frame is back where it was", moved.length === 0,
    moved.slice(0, 3).map((f) => `${pathOf(f)}: ${JSON.stringify(before[f.i])} -> ${JSON.stringify(after[f.i])}`).join("\n"));
  expect("reset zoom: the button hides again", await isHidden(page, "unzoom"));
  hash = await page.evaluate(() => location.hash);
  expect("reset zoom: no z= in the hash", !/z=/.test(hash), `hash ${hash}`);

  // Ctrl-F with window.prompt stubbed.
  const re1 = "^(parse|recurse)$";
  await page.evaluate((s) => { window.prompt = () => s; }, re1);
  await page.keyboard.press("Control+f");
  let want = matchedShare(folded, new RegExp(re1));
  expectEq("ctrl-f: Matched: X% of total is the share of stacks with a match", await textOf(page, "matched"),
    `Matched: ${want.pct} of total`);
  const marked = [];
  for (const f of t.frames) if ((await rectOf(page, f.i)).matched) marked.push(f.i);
  const shouldMark = t.frames.filter((f) => new RegExp(re1).test(f.name)).map((f) => f.i);
  expectEq("ctrl-f: exactly the matching frames are highlighted", marked.join(","), shouldMark.join(","));
  expectEq("ctrl-f: the button offers Reset Search", await textOf(page, "search"), "Reset Search");
  hash = await page.evaluate(() => location.hash);
  expect("ctrl-f: the hash has s=REGEX", hash.includes("s=" + encodeURIComponent(re1)), `hash ${hash}`);

  // hearthFlame.search: nested matches count once.
  for (const re of ["e", "^recurse$", "^(main|gc)$", "r"]) {
    want = matchedShare(folded, new RegExp(re));
    const got = await page.evaluate((s) => window.hearthFlame.search(s), re);
    const text = await textOf(page, "matched");
    expect(`search(${re}): returns the matched value, shows its share`,
      got === want.sum && text === `Matched: ${want.pct} of total`, `returned ${got}, "${text}"; want ${want.sum}, ${want.pct}`);
  }

  // Search while zoomed: shares of the zoomed frame.
  await page.evaluate((i) => window.hearthFlame.zoom(i), handle.i);
  for (const re of ["^parse$", "^fmt$", "^serve$"]) {
    want = matchedShare(folded, new RegExp(re), ["main", "serve", "handle"]);
    const got = await page.evaluate((s) => window.hearthFlame.search(s), re);
    const text = await textOf(page, "matched");
    expect(`zoomed search(${re}): share of the zoomed frame`,
      got === want.sum && text === `Matched: ${want.pct} of zoomed`, `returned ${got}, "${text}"; want ${want.sum}, ${want.pct}`);
  }

  // Reload: zoom and search come back from the hash.
  await page.evaluate(() => window.hearthFlame.search("^parse$"));
  want = matchedShare(folded, /^parse$/, ["main", "serve", "handle"]);
  await page.reload();
  await page.waitForFunction(() => window.hearthFlame);
  r = await rectOf(page, handle.i);
  expect("reload: zoom restored", near(r.x, t.xpad) && near(r.w, t.plot) && (await page.isVisible("#unzoom")),
    JSON.stringify(r));
  r = await rectOf(page, gc.i);
  expect("reload: unrelated frame still hidden", r.hidden);
  expectEq("reload: search restored", await textOf(page, "matched"), `Matched: ${want.pct} of zoomed`);
  expect("reload: matches highlighted", (await rectOf(page, parseInServe.i)).matched);

  // A link with the hash, opened afresh.
  await page.close();
  page = await open(svg, `#z=${serve.i}&s=${encodeURIComponent("^(fmt|leaf)$")}`);
  want = matchedShare(folded, /^(fmt|leaf)$/, ["main", "serve"]);
  r = await rectOf(page, serve.i);
  expect("link: #z=&s= opens zoomed", near(r.w, t.plot) && !(await isHidden(page, "unzoom")), JSON.stringify(r));
  expectEq("link: #z=&s= opens searched", await textOf(page, "matched"), `Matched: ${want.pct} of zoomed`);

  // The Search button toggles the search off.
  await page.click("#search");
  expectEq("search button: resets the search", await textOf(page, "matched"), " ");
  expectEq("search button: says Search again", await textOf(page, "search"), "Search");
  expect("search button: no highlighted frame", (await page.$$("#frames > g.f.m")).length === 0);
  hash = await page.evaluate(() => location.hash);
  expect("search button: no s= in the hash", !/s=/.test(hash), `hash ${hash}`);
  // Clicking the root zooms out too.
  await page.click(frameSel(0));
  expect("click on all: zooms out", await isHidden(page, "unzoom"));
  expect("no script errors (simple)", page.errors.length === 0, page.errors.join("\n"));
  await page.close();

  // Screenshot of the default graph (min width 0.1 px).
  page = await open(flame(foldedPath, join(tmp, "shot.svg")));
  await shot(page, "flame.png");
  expect("no script errors (default options)", page.errors.length === 0, page.errors.join("\n"));
  await page.close();

  // --- inverted (icicle) -------------------------------------------------
  const inv = flame(foldedPath, join(tmp, "inverted.svg"), "--inverted", "--min-width", "0");
  const ti = parse(inv);
  const ih = ti.frames.find((f) => f.i && pathOf(f) === "main;serve;handle");
  const ifmt = ti.frames.find((f) => f.i && pathOf(f) === "main;serve;handle;render;fmt");
  page = await open(inv);
  await page.click(frameSel(ih.i));
  r = await rectOf(page, ifmt.i);
  const iw = (ifmt.v / ih.v) * ti.plot;
  expect("inverted zoom: descendants (below) rescaled", near(r.w, iw) && !r.hidden, `${JSON.stringify(r)} want ${iw}`);
  expect("inverted zoom: callers (above) span the plot", near((await rectOf(page, 1)).w, ti.plot));
  expect("no script errors (inverted)", page.errors.length === 0, page.errors.join("\n"));
  await page.close();

  // --- differential --------------------------------------------------------
  const dsvg = flame(foldedPath, join(tmp, "diff.svg"), "--base", join(golden, "base.folded"));
  const td = parse(dsvg);
  const dserve = td.frames.find((f) => f.i && pathOf(f) === "main;serve");
  page = await open(dsvg);
  await page.hover(frameSel(dserve.i));
  expectEq("diff hover: base and delta", await textOf(page, "details"),
    `serve (${dserve.v}, ${((100 * dserve.v) / td.total).toFixed(2)}% of total, self ${dserve.s}, ` +
    `base ${dserve.b}, delta +${dserve.v - dserve.b})`);
  await shot(page, "flame-diff.png");
  await page.close();

  // --- units: the script's numbers agree with the titles hearth wrote ------
  for (const [name, input, args] of [
    ["bytes", join(golden, "heap-nomappings.pb"), ["--sample-index", "alloc_space"]],
    ["nanoseconds", join(golden, "two-stacks.pb.gz"), []],
  ]) {
    const us = flame(input, join(tmp, `units-${name}.svg`), ...args);
    const tu = parse(us);
    page = await open(us);
    const bad = [];
    for (const f of tu.frames) {
      await page.hover(frameSel(f.i), { force: true });
      const d = await textOf(page, "details");
      const [, v, self] = f.valueLine.match(/^(.*) \(.*\), self (.*)$/);
      if (!d.startsWith(`${f.name} (${v}, `) || !d.includes(`, self ${self})`)) bad.push(`${d} vs title ${f.valueLine}`);
    }
    expect(`${name}: hover details agree with each title`, bad.length === 0, bad.slice(0, 3).join("\n"));
    await page.close();
  }

  // --- hostile names ---------------------------------------------------------
  const hp = join(tmp, "hostile<img src=x onerror=alert(9)>.pb");
  writeFileSync(hp, encode(specs.hostile()));
  for (const extra of [[], ["--palette", "module"]]) {
    const hs = flame(hp, join(tmp, "hostile.svg"), "--sample-index", "0", "--title", "<script>alert(8)</script>", ...extra);
    const th = parse(hs);
    page = await open(hs);
    const what = extra.length ? " (module palette)" : "";
    const counts = await page.evaluate(() => ({
      scripts: document.getElementsByTagNameNS("*", "script").length,
      handlers: Array.from(document.querySelectorAll("*")).filter((e) =>
        Array.from(e.attributes).some((a) => /^on/i.test(a.name))).length,
      foreign: document.querySelectorAll("img, iframe, object, embed, foreignObject").length,
      title: document.getElementById("title").textContent,
    }));
    expectEq(`hostile${what}: one script element, ours`, counts.scripts, 1);
    expectEq(`hostile${what}: no event handler attributes`, counts.handlers, 0);
    expectEq(`hostile${what}: no injected elements`, counts.foreign, 0);
    expectEq(`hostile${what}: the title is text`, counts.title, "<script>alert(8)</script>");
    let over = await overflowing(page);
    expect(`hostile${what}: wide characters stay inside their frames`, over.length === 0, over.slice(0, 3).join("\n"));
    const x = th.frames.find((f) => f.name === "<script>alert(1)</script>");
    await page.hover(frameSel(x.i));
    const d = await textOf(page, "details");
    expect(`hostile${what}: hover shows the name as text`, d.startsWith("<script>alert(1)</script> ("), d);
    const sum = await page.evaluate(() => window.hearthFlame.search("alert"));
    expect(`hostile${what}: search for markup works`, sum > 0, `sum ${sum}`);
    await page.click(frameSel(x.i));
    await page.click("#unzoom");
    await page.click(frameSel(th.frames.find((f) => f.name.startsWith("long ")).i));
    over = await overflowing(page);
    expect(`hostile${what}: zoomed, texts stay inside their frames`, over.length === 0, over.slice(0, 3).join("\n"));
    await page.click("#unzoom");
    expect(`hostile${what}: no dialog ran`, page.dialogs.length === 0, page.dialogs.join("\n"));
    expect(`hostile${what}: no script errors`, page.errors.length === 0, page.errors.join("\n"));
    if (!extra.length) await shot(page, "flame-hostile.png");
    await page.close();
  }

  // --- a real profile: Go CPU, 344 frames ----------------------------------
  const fib = join(FIXTURES, "pprof", "parca_query_fib.pb.gz");
  if (existsSync(fib)) {
    page = await open(flame(fib, join(tmp, "fib.svg")));
    let over = await overflowing(page);
    expect("real profile: texts stay inside their frames", over.length === 0, over.slice(0, 3).join("\n"));
    const tf = parse(join(tmp, "fib.svg"));
    const widest = tf.frames.filter((f) => f.i && f.children.length > 1).sort((a, b) => b.v - a.v)[0];
    await page.click(frameSel(widest.i));
    over = await overflowing(page);
    expect("real profile zoomed: texts stay inside their frames", over.length === 0, over.slice(0, 3).join("\n"));
    await shot(page, "flame-fib-zoomed.png");
    await page.click("#unzoom");
    await shot(page, "flame-fib.png");
    expect("real profile: no script errors", page.errors.length === 0, page.errors.join("\n"));
    await page.close();
  } else {
    notOk("real profile", `no ${fib} (HEARTH_FIXTURES)`);
  }

  // --- no script ---------------------------------------------------------------
  const ns = flame(foldedPath, join(tmp, "nojs.svg"), "--no-js");
  page = await open(ns);
  const st = await page.evaluate(() => ({
    scripts: document.getElementsByTagNameNS("*", "script").length,
    api: typeof window.hearthFlame,
    buttons: ["unzoom", "search", "matched"].filter((id) => document.getElementById(id)).length,
    frames: document.querySelectorAll("#frames > g.f").length,
    rootWidth: document.querySelector("#frames > g.f rect").getBoundingClientRect().width,
  }));
  expectEq("no-js: no script element", st.scripts, 0);
  expectEq("no-js: no script API", st.api, "undefined");
  expectEq("no-js: no interactive buttons", st.buttons, 0);
  expectEq("no-js: every frame rendered", st.frames, parse(ns).frames.length);
  expect("no-js: the root spans the plot", near(st.rootWidth, t.plot), `width ${st.rootWidth}`);
  await page.hover(frameSel(1));
  expect("no-js: renders without errors", page.errors.length === 0, page.errors.join("\n"));
  await shot(page, "flame-nojs.png");
  await page.close();
} catch (e) {
  notOk("browser test ran to the end", e.stack || e);
} finally {
  if (browser) await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`screenshots in ${OUT}`);
finish();
