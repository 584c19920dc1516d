// The flame graph's script in Firefox: Debian's firefox-esr, headless,
// driven by puppeteer-core over WebDriver BiDi, opens an SVG written by
// `hearth flame` through file:// and is used as a person would: hover,
// click to zoom, Reset Zoom, Ctrl-F search, reload with the URL hash. The
// same figures as flame.test.mjs checks in Chromium, from the input
// (folded stacks) and the SVG's data attributes, never from the script.
//
//   node firefox.test.mjs --hearth build/hearth --out tests/out
//
// Prints PASS/FAIL per check and "N passed, N failed"; exits 1 on a
// failure. A screenshot goes to --out. Run by tests/cli/browser.sh.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, finish, HEARTH, launchFirefox, notOk, OUT, root } from "./harness.mjs";
import { matchedShare, parse, pathOf } from "./flamecheck.mjs";

const near = (a, b) => Math.abs(a - b) <= 0.011;
const tmp = mkdtempSync(join(tmpdir(), "hearth-firefox-"));
mkdirSync(OUT, { recursive: true });
let browser = null;

const rectOf = (page, i) => page.evaluate((i) => {
  const g = document.querySelector(`#frames > g.f:nth-of-type(${i + 1})`);
  const r = g.querySelector("rect");
  return { x: Number(r.getAttribute("x")), w: Number(r.getAttribute("width")),
    hidden: g.classList.contains("hide"), matched: g.classList.contains("m") };
}, i);
const textOf = (page, id) => page.evaluate((id) => document.getElementById(id).textContent, id);
const frameSel = (i) => `#frames > g.f:nth-of-type(${i + 1}) rect`;

try {
  const foldedPath = join(root, "tests/golden/flame/simple.folded");
  const folded = readFileSync(foldedPath, "utf8");
  const svg = join(tmp, "simple.svg");
  execFileSync(HEARTH, ["flame", foldedPath, "-o", svg, "--min-width", "0"],
    { stdio: ["ignore", "ignore", "pipe"] });
  const t = parse(svg);
  const byPath = (p) => t.frames.find((f) => f.i && pathOf(f) === p);
  const handle = byPath("main;serve;handle"), render = byPath("main;serve;handle;render");
  const gc = byPath("gc"), parseInServe = byPath("main;serve;handle;parse");

  browser = await launchFirefox();
  expect("firefox: the browser is Firefox", /firefox/i.test(await browser.version()), await browser.version());
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const url = pathToFileURL(svg).href;
  await page.goto(url);

  const n = await page.evaluate(() => window.hearthFlame && window.hearthFlame.frames.length);
  expect("firefox/loads: window.hearthFlame sees every frame", n === t.frames.length, `${n} of ${t.frames.length}`);

  await page.hover(frameSel(parseInServe.i));
  let want = `parse (${parseInServe.v}, ${((100 * parseInServe.v) / t.total).toFixed(2)}% of total, self ${parseInServe.s})`;
  let got = await textOf(page, "details");
  expect("firefox/hover: #details describes the frame", got === want, `got "${got}", want "${want}"`);

  await page.click(frameSel(handle.i));
  let r = await rectOf(page, handle.i);
  expect("firefox/zoom: the clicked frame spans the plot", near(r.x, t.xpad) && near(r.w, t.plot) && !r.hidden,
    JSON.stringify(r));
  r = await rectOf(page, render.i);
  const wx = t.xpad + ((render.x - handle.x) / handle.v) * t.plot, ww = (render.v / handle.v) * t.plot;
  expect("firefox/zoom: a descendant is rescaled", near(r.x, wx) && near(r.w, ww) && !r.hidden,
    `${JSON.stringify(r)}, want x ${wx.toFixed(2)} width ${ww.toFixed(2)}`);
  expect("firefox/zoom: an unrelated frame is hidden", (await rectOf(page, gc.i)).hidden);
  await page.hover(frameSel(render.i));
  want = `render (${render.v}, ${((100 * render.v) / t.total).toFixed(2)}% of total, ` +
    `${((100 * render.v) / handle.v).toFixed(2)}% of zoomed, self ${render.s})`;
  got = await textOf(page, "details");
  expect("firefox/zoom: hover tells the share of the zoomed frame", got === want, `got "${got}", want "${want}"`);

  await page.click("#unzoom");
  r = await rectOf(page, gc.i);
  expect("firefox/reset zoom: frames come back", !r.hidden && near(r.w, (gc.v / t.total) * t.plot), JSON.stringify(r));

  // Ctrl-F with window.prompt stubbed (a dialog would block the test).
  const re = "^(parse|recurse)$";
  await page.evaluate((s) => { window.prompt = () => s; }, re);
  await page.keyboard.down("Control");
  await page.keyboard.press("f");
  await page.keyboard.up("Control");
  const share = matchedShare(folded, new RegExp(re));
  got = await textOf(page, "matched");
  expect("firefox/ctrl-f: Matched: X% of total", got === `Matched: ${share.pct} of total`,
    `got "${got}", want Matched: ${share.pct} of total`);
  const marked = [];
  for (const f of t.frames) if ((await rectOf(page, f.i)).matched) marked.push(f.i);
  const shouldMark = t.frames.filter((f) => new RegExp(re).test(f.name)).map((f) => f.i);
  expect("firefox/ctrl-f: exactly the matching frames are highlighted", marked.join() === shouldMark.join(),
    `${marked} vs ${shouldMark}`);

  // A link keeps the view: zoom and search come back from the hash.
  await page.evaluate((i) => window.hearthFlame.zoom(i), handle.i);
  const hash = await page.evaluate(() => location.hash);
  const again = await browser.newPage();
  await again.setViewport({ width: 1280, height: 800 });
  await again.goto(url + hash);
  r = await rectOf(again, handle.i);
  got = await textOf(again, "matched");
  const zoomedShare = matchedShare(folded, new RegExp(re), ["main", "serve", "handle"]);
  expect("firefox/reload: the hash restores zoom and search",
    near(r.x, t.xpad) && near(r.w, t.plot) && got === `Matched: ${zoomedShare.pct} of zoomed`,
    `hash ${hash}: ${JSON.stringify(r)}, "${got}"`);
  await again.screenshot({ path: join(OUT, "flame-firefox.png") });
  expect("firefox: no script errors", errors.length === 0, errors.slice(0, 3).join("\n"));
} catch (e) {
  notOk("firefox_test_runs", e.stack || e);
} finally {
  if (browser) await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
finish();
