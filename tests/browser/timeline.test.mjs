// The timeline chart's event labels in headless Chromium (the system's,
// driven by playwright-core): a recording with 60 events in 18 seconds
// (marks, heap dumps, forks, dlopens; long names) is drawn by `hearth
// timeline` and opened through file://. The labels' boxes, as the browser
// lays them out with its real font, never overlap one another; every event
// keeps its line and tooltip; and the labels shown plus the "N more events"
// note account for every event. A screenshot goes to --out.
//
//   node timeline.test.mjs --hearth build/hearth --out tests/out
//
// Prints PASS/FAIL per check and "N passed, N failed"; exits 1 on a
// failure. Run by tests/cli/browser.sh.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, finish, HEARTH, launch, notOk, OUT } from "./harness.mjs";

const EVENTS = 60;
const tmp = mkdtempSync(join(tmpdir(), "hearth-timeline-"));
mkdirSync(OUT, { recursive: true });
let browser = null;
try {
  const lines = ["hearth-timeline\t1",
    "process\tpid=42\tppid=1\tstart_unix_ns=1764150000000000000\tinterval_s=0.500000\texe=/usr/bin/svc",
    "column\tt\tseconds\ttime", "column\theap_bytes\tbytes\theap"];
  const kinds = ["mark", "heap_dump", "fork", "dlopen"];
  for (let i = 0, e = 0; i <= 40; i++) {
    const t = i * 0.5;
    for (; e < EVENTS && e * 0.3 < t; e++) {
      const kind = kinds[e % 4];
      const detail = { mark: `deploy v${e}`, heap_dump: `/var/tmp/hearth.42.${e}.heap.pb.gz`,
        fork: `child ${1000 + e}`, dlopen: `/usr/lib/x86_64-linux-gnu/libplugin-${e}-with-a-long-name.so` }[kind];
      lines.push(`event\t${(e * 0.3).toFixed(6)}\t${kind}\t${detail}`);
    }
    lines.push(`tick\t${t.toFixed(6)}\t${1000000 + i * 50000}`);
  }
  const input = join(tmp, "crowded.timeline"), svg = join(tmp, "crowded.svg");
  writeFileSync(input, lines.join("\n") + "\n");
  execFileSync(HEARTH, ["timeline", input, "-o", svg], { stdio: ["ignore", "ignore", "pipe"] });

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1250, height: 700 } });
  await page.goto(pathToFileURL(svg).href, { waitUntil: "load" });
  const got = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll("g.ev text.el")].map((t) => {
      const b = t.getBBox();
      return { text: t.textContent, x0: b.x, x1: b.x + b.width, y0: b.y, y1: b.y + b.height };
    });
    const note = [...document.querySelectorAll("svg > text.el")].map((t) => t.textContent);
    return { events: document.querySelectorAll("g.ev").length,
      tooltips: document.querySelectorAll("g.ev > title").length,
      lines: document.querySelectorAll("g.ev > line").length, boxes, note };
  });
  await page.screenshot({ path: join(OUT, "timeline-crowded-events.png") });
  expect("timeline/every_event_has_a_line_and_tooltip",
    got.events === EVENTS && got.tooltips === EVENTS && got.lines === EVENTS,
    `${got.events} events, ${got.tooltips} tooltips, ${got.lines} lines`);
  const overlaps = [];
  for (let i = 0; i < got.boxes.length; i++)
    for (let j = i + 1; j < got.boxes.length; j++) {
      const a = got.boxes[i], b = got.boxes[j];
      if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1)
        overlaps.push(`"${a.text}" and "${b.text}"`);
    }
  expect("timeline/event_labels_never_overlap", overlaps.length === 0 && got.boxes.length > 10,
    `${got.boxes.length} labels; overlapping: ${overlaps.slice(0, 5).join(", ")}`);
  const hidden = got.note.length === 1 ? Number(/^(\d+) more events?/.exec(got.note[0])?.[1]) : 0;
  expect("timeline/labels_and_note_account_for_every_event",
    got.boxes.length + hidden === EVENTS && hidden > 0,
    `${got.boxes.length} labels + note ${JSON.stringify(got.note)} != ${EVENTS}`);
} catch (e) {
  notOk("timeline_test_runs", e.stack || e);
} finally {
  if (browser) await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
finish();
