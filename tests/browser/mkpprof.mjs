// Writes small pprof profiles (raw profile.proto, which hearth reads like
// gzip'd ones) that no real tool would: for tests/cli/flame.sh and the
// browser test. Plain node, no dependencies.
//
//   node mkpprof.mjs hostile OUT   names, types, units and file names made
//                                  to break XML and HTML: markup, CDATA ends,
//                                  quotes, entities, every control byte
//                                  0x01-0x1f, DEL, C1, invalid UTF-8, U+FFFE,
//                                  U+FFFF, a long multibyte name
//   node mkpprof.mjs negative OUT  a delta profile whose values are negative
//                                  for some stacks: under "grow" one child
//                                  has +10 and another -6, so "grow" (4) is
//                                  narrower than its positive child
//
// A spec is { types: [[type, unit]...], mappings: [file...],
// samples: [{ stack: [frame...] (root first), values: [n...] }] } where a
// frame is a Buffer or string (the function name; a location of its own),
// or { name, file, line, mapping, address }.
import { writeFileSync } from "node:fs";

export function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

const key = (field, wire) => varint((field << 3) | wire);
const fieldVarint = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
function fieldBytes(field, bytes) {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return Buffer.concat([key(field, 2), varint(b.length), b]);
}
const packed = (field, ns) => fieldBytes(field, Buffer.concat(ns.map(varint)));

export function encode(spec) {
  const strings = [Buffer.alloc(0)];
  const index = new Map([["", 0]]);
  const str = (s) => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
    const k = b.toString("latin1");
    if (!index.has(k)) {
      index.set(k, strings.length);
      strings.push(b);
    }
    return index.get(k);
  };
  const parts = [];
  for (const [t, u] of spec.types) parts.push(fieldBytes(1, Buffer.concat([fieldVarint(1, str(t)), fieldVarint(2, str(u))])));
  const functions = new Map(), locations = new Map();
  const fn = (name, file) => {
    const k = Buffer.from(name).toString("latin1") + "\0" + Buffer.from(file || "").toString("latin1");
    if (!functions.has(k)) functions.set(k, { id: functions.size + 1, name, file: file || "" });
    return functions.get(k).id;
  };
  const loc = (frame) => {
    const f = typeof frame === "string" || Buffer.isBuffer(frame) ? { name: frame } : frame;
    const k = JSON.stringify([Buffer.from(f.name).toString("latin1"), f.file || "", f.line || 0, f.mapping || 0, f.address || 0]);
    if (!locations.has(k)) {
      const id = locations.size + 1;
      locations.set(k, { id, fid: fn(f.name, f.file), line: f.line || 0, mapping: f.mapping || 0, address: f.address || 0x1000 + 16 * id });
    }
    return locations.get(k).id;
  };
  for (const s of spec.samples) {
    const ids = s.stack.map(loc).reverse(); // leaf first
    parts.push(fieldBytes(2, Buffer.concat([packed(1, ids), packed(2, s.values)])));
  }
  (spec.mappings || []).forEach((file, i) =>
    parts.push(fieldBytes(3, Buffer.concat([fieldVarint(1, i + 1), fieldVarint(2, 0x400000 * (i + 1)),
      fieldVarint(3, 0x400000 * (i + 2)), fieldVarint(5, str(file)), fieldVarint(7, 1)]))));
  for (const l of locations.values()) {
    const line = fieldBytes(4, Buffer.concat([fieldVarint(1, l.fid), fieldVarint(2, l.line)]));
    parts.push(fieldBytes(4, Buffer.concat([fieldVarint(1, l.id), fieldVarint(2, l.mapping), fieldVarint(3, l.address), line])));
  }
  for (const f of functions.values())
    parts.push(fieldBytes(5, Buffer.concat([fieldVarint(1, f.id), fieldVarint(2, str(f.name)), fieldVarint(3, str(f.name)), fieldVarint(4, str(f.file))])));
  if (spec.periodType) {
    parts.push(fieldBytes(11, Buffer.concat([fieldVarint(1, str(spec.periodType[0])), fieldVarint(2, str(spec.periodType[1]))])));
    parts.push(fieldVarint(12, spec.period || 1));
  }
  // Go writes the string table last; so do we.
  for (const s of strings) parts.push(fieldBytes(6, s));
  return Buffer.concat(parts);
}

const controls = Buffer.from(Array.from({ length: 31 }, (_, i) => i + 1));
export const hostileNames = [
  "<script>alert(1)</script>",
  "]]><script>alert(2)</script><![CDATA[",
  "</title></g><script>alert(3)</script><g>",
  "\"quoted'",
  "&amp; &lt; &#x3c; &",
  "<!-- --> <?xml?>",
  Buffer.concat([Buffer.from("ctl["), controls, Buffer.from("]del[\x7f]")]),
  Buffer.from([0x63, 0x31, 0x5b, 0xc2, 0x80, 0xc2, 0x85, 0xc2, 0x9f, 0x5d]), // c1[U+0080 U+0085 U+009F]
  Buffer.from([0x62, 0x61, 0x64, 0x5b, 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0x5d]), // bad[...]
  Buffer.from([0x6e, 0x6f, 0x6e, 0x5b, 0xef, 0xbf, 0xbe, 0xef, 0xbf, 0xbf, 0x5d]), // non[U+FFFE U+FFFF]
  "long " + "ж€😀".repeat(60),
  "",
];

export const specs = {
  hostile: () => ({
    types: [["hostile\"<type>&", "bytes"], ["x", "</svg><script>alert(4)</script>"]],
    periodType: ["space", "bytes"],
    mappings: [Buffer.concat([Buffer.from("/opt/<script>alert(5)</script>/lib\u0001bad"), Buffer.from([0xff]), Buffer.from(".so")])],
    samples: hostileNames.map((name, i) => ({
      stack: ["main", { name, file: "<b>file&\"'.go\u0002", line: i + 1, mapping: 1 }],
      values: [1000 * (i + 1), i + 1],
    })).concat([{ stack: ["main", "grow", hostileNames[0], "leaf"], values: [500, 1] }]),
  }),
  negative: () => ({
    types: [["inuse_space", "bytes"]],
    samples: [
      { stack: ["main", "grow", "up"], values: [10] },
      { stack: ["main", "grow", "down"], values: [-6] },
      { stack: ["main", "steady"], values: [5] },
    ],
  }),
};

function main([name, out]) {
  if (!specs[name] || !out) {
    console.error("usage: mkpprof.mjs hostile|negative OUT");
    process.exit(2);
  }
  writeFileSync(out, encode(specs[name]()));
}

if ((process.argv[1] || "").endsWith("mkpprof.mjs")) main(process.argv.slice(2));
