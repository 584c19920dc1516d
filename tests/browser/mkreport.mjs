// Writes the inputs of a report whose every string is hostile to markdown,
// HTML and SVG: two heap profiles an hour apart (base.pb, latest.pb), a CPU
// profile (cpu.pb) and a goroutine profile (goroutine.pb), and two heap
// profiles of values and times at the ends of int64 (extreme-*.pb), and a
// Go GC trace whose live heap grows 600 MB an hour (service-gctrace.log), for
// tests/cli/report.sh and report.test.mjs. Plain node, no dependencies.
//
//   node mkreport.mjs OUTDIR
//
// The leak is known: the stack main;serve;<leaker> grows by LEAK bytes
// between the two profiles (TIME_BASE, TIME_LATEST), so the report's first
// suspect and its growth per hour are known too; the names below are
// printed one per line (JSON) to OUTDIR/names.json for the checks.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encode, hostileNames, varint } from "./mkpprof.mjs";

// Markdown's syntax in names: tables, emphasis, code, links, images, raw
// HTML, headings, entities, strikethrough, math, line breaks.
export const mdNames = [
  "pipe|in|name", "`code` span", "*em* and **strong**", "_under_score_", "[link](http://example.invalid/x)",
  "![img](http://example.invalid/i.png)", "<img src=x onerror=alert(6)>", "# not a heading",
  "line\nbreak", "~~struck~~", "$x^2$", "&amp;entity", "back\\slash", "<b>bold</b>",
];
export const leaker = "leak|<script>alert(7)</script>*`x`_[y](z)";
export const LEAK = 50 * 1024 * 1024;
export const TIME_BASE = 1764158400n * 1000000000n; // 2025-11-26 12:00:00 UTC
export const TIME_LATEST = TIME_BASE + 3600n * 1000000000n;

// Profile fields the encoder leaves out, appended (protobuf takes fields in
// any order): time_nanos (9), duration_nanos (10).
const timeField = (field, ns) => Buffer.concat([varint((field << 3) | 0), varint(ns)]);

const heapTypes = [["alloc_objects", "count"], ["alloc_space", "bytes"], ["inuse_objects", "count"], ["inuse_space", "bytes"]];
const names = [...mdNames, ...hostileNames.filter((n) => typeof n === "string" && n)];

function heap(grown) {
  const samples = names.map((name, i) => {
    const b = 4096 * (i + 1);
    return { stack: ["main", "serve", { name, file: `src/${i}|x_*.c`, line: i + 1, mapping: 1 }, "malloc"], values: [i + 1, b, i + 1, b] };
  });
  const leak = grown ? LEAK + 1024 * 1024 : 1024 * 1024;
  samples.push({ stack: ["main", "serve", { name: leaker, file: "cache<|>.c", line: 42, mapping: 1 }, "malloc"], values: [leak / 1024, leak, leak / 1024, leak] });
  return { types: heapTypes, periodType: ["space", "bytes"], period: 524288, mappings: ["/srv/bin/svc|<x>"], samples };
}

export function write(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "base.pb"), Buffer.concat([encode(heap(false)), timeField(9, TIME_BASE)]));
  writeFileSync(join(dir, "latest.pb"), Buffer.concat([encode(heap(true)), timeField(9, TIME_LATEST)]));
  const cpu = {
    types: [["samples", "count"], ["cpu", "nanoseconds"]], periodType: ["cpu", "nanoseconds"], period: 10000000,
    samples: names.map((name, i) => ({ stack: ["main", "work", name], values: [i + 1, (i + 1) * 10000000] })),
  };
  writeFileSync(join(dir, "cpu.pb"), Buffer.concat([encode(cpu), timeField(9, TIME_LATEST), timeField(10, 30000000000n)]));
  const threads = {
    types: [["goroutine", "count"]],
    samples: names.map((name, i) => ({ stack: ["main", name, "runtime.gopark"], values: [i + 1] })),
  };
  writeFileSync(join(dir, "goroutine.pb"), Buffer.concat([encode(threads), timeField(9, TIME_LATEST)]));
  // Values and times at the ends of int64: sums and differences must
  // saturate, not wrap (tests/cli/report.sh runs these under UBSan too).
  const max = (1n << 63n) - 1n, min = -(1n << 63n);
  const extreme = (v) => ({
    types: heapTypes, samples: [
      { stack: ["main", "a"], values: [v, v, v, v] },
      { stack: ["main", "a"], values: [v, v, v, v] },
      { stack: ["main", "b"], values: [-v, -v, -v, -v] },
    ],
  });
  writeFileSync(join(dir, "extreme-base.pb"), Buffer.concat([encode(extreme(min + 1n)), timeField(9, min)]));
  writeFileSync(join(dir, "extreme-latest.pb"), Buffer.concat([encode(extreme(max)), timeField(9, max)]));
  // A Go GC trace over an hour whose live heap grows 10 MB a minute, among
  // the program's own output (a line of markup, as services print).
  const gc = [];
  for (let i = 0; i < 60; i++) {
    const live = 100 + 10 * i;
    gc.push(`gc ${i + 1} @${60 * i + 1}.000s 1%: 0.02+1.5+0.01 ms clock, 0.08+0.2/1.1/2.0+0.04 ms cpu, ` +
      `${2 * live}->${2 * live + 5}->${live} MB, ${2 * live + 10} MB goal, 0 MB stacks, 0 MB globals, 4 P`);
    gc.push(`<script>alert(8)</script> | request ${i} served`);
  }
  writeFileSync(join(dir, "service-gctrace.log"), gc.join("\n") + "\n");
  writeFileSync(join(dir, "names.json"), JSON.stringify({ names, leaker, leak: LEAK, seconds: 3600 }));
}

if ((process.argv[1] || "").endsWith("mkreport.mjs")) {
  if (!process.argv[2]) {
    console.error("usage: mkreport.mjs OUTDIR");
    process.exit(2);
  }
  write(process.argv[2]);
}
