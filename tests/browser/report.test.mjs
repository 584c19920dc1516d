// The report's index.html in headless Chromium (the system's, driven by
// playwright-core): written by `hearth report` from profiles whose every
// name is hostile (mkreport.mjs), opened through file://. Every chart is
// shown (one iframe per SVG of the folder, each a drawn flame graph of
// non-zero size), a flame graph still zooms on click, no script runs from a
// name (no dialog), no error is logged (a blocked fetch would log one), and
// the page makes no request but for itself and its data: charts. A
// full-page screenshot and one of each chart go to --out.
//
//   node report.test.mjs --hearth build/hearth --out tests/out
//
// Prints PASS/FAIL per check and "N passed, N failed"; exits 1 on a
// failure. Run by tests/cli/browser.sh.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, finish, HEARTH, launch, notOk, OUT } from "./harness.mjs";
import { write } from "./mkreport.mjs";

const tmp = mkdtempSync(join(tmpdir(), "hearth-report-"));
mkdirSync(OUT, { recursive: true });
let browser = null;
try {
  write(join(tmp, "in"));
  const rep = join(tmp, "rep");
  const inputs = ["base.pb", "latest.pb", "cpu.pb", "goroutine.pb", "service-gctrace.log"].map((f) => join(tmp, "in", f));
  execFileSync(HEARTH, ["report", ...inputs, "-n", "50", "-o", rep], { stdio: ["ignore", "ignore", "pipe"] });
  const svgs = readdirSync(rep).filter((f) => f.endsWith(".svg")).sort();

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const index = pathToFileURL(join(rep, "index.html")).href;
  const requests = [], errors = [], dialogs = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("websocket", (w) => requests.push(w.url()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.setDefaultTimeout(10000);
  await page.goto(index, { waitUntil: "load" });

  const frames = await page.$$("iframe.chart");
  const shown = [], blank = [];
  for (const el of frames) {
    const file = await el.getAttribute("data-file");
    // Charts are separate documents, painted when scrolled to; a picture of
    // each, as a person scrolling would see it. A white box compresses to
    // well under 4 KB, a flame graph to tens of KB.
    await el.scrollIntoViewIfNeeded();
    await page.waitForTimeout(100);
    const png = await el.screenshot({ path: join(OUT, `report-${file.replace(/\.svg$/, "")}.png`) });
    if (png.length < 4000) blank.push(`${file}: ${png.length} bytes`);
    const box = await el.boundingBox();
    const f = await el.contentFrame();
    // A flame graph has its frames and script; the timeline its series,
    // a call graph its boxes and edges.
    const drawn = f && await f.evaluate((flame) => {
      const s = document.documentElement;
      const r = s.getBoundingClientRect();
      return s.localName === "svg" && r.width > 0 && r.height > 0 && (flame
        ? document.querySelectorAll("#frames > g.f").length > 0 && !!window.hearthFlame
        : document.querySelectorAll("path, polyline, polygon, rect").length > 10);
    }, !/^(timeline|.*-graph)\.svg$/.test(file));
    if (await el.isVisible() && box && box.width > 500 && box.height > 50 && drawn) shown.push(file);
  }
  expect("every chart of the folder is shown, drawn, with its script",
    JSON.stringify(shown.sort()) === JSON.stringify(svgs), `shown ${JSON.stringify(shown)}\nfiles ${JSON.stringify(svgs)}`);

  expect("every chart is painted (not blank) when scrolled to", blank.length === 0, blank.join("\n"));

  // A flame graph in the page still works: click a frame, it zooms.
  const growth = await page.$('iframe.chart[data-file="heap-growth.svg"]');
  const first = await growth.contentFrame();
  await growth.scrollIntoViewIfNeeded();
  await first.click("#frames > g.f:nth-of-type(2) rect");
  const zoomed = await first.evaluate(() => !document.getElementById("unzoom").classList.contains("hide"));
  expect("a chart zooms on click inside the page", zoomed);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, "report-index.png"), fullPage: true });
  const foreign = requests.filter((u) => u !== index && !u.startsWith("data:"));
  expect("no network request: only the page and its data: charts", foreign.length === 0 && requests.includes(index),
    foreign.join("\n") || "the page itself was not requested");
  expect("no name ran as script (no dialog)", dialogs.length === 0, dialogs.join("\n"));
  expect("no errors or warnings logged", errors.length === 0, errors.join("\n"));
  const text = await page.evaluate(() => document.body.innerText);
  expect("the findings name the leak as text", text.includes("Top leak suspect: leak|<script>alert(7)</script>*`x`_[y](z)"));
} catch (e) {
  notOk("report browser test runs", e.stack || String(e));
} finally {
  if (browser) await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
finish();
