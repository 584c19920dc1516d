#!/usr/bin/env python3
"""Checks of a `hearth report` folder for tests/cli/report.sh and capture.sh.
Each subcommand prints one line per problem and exits 1 if there was any.

  report_check.py md SUMMARY.md HTML [NAMES.json]
      HTML is `cmark-gfm --unsafe -e table`'s rendering of SUMMARY.md
      (GitHub's markdown with tables, raw HTML kept so it shows). Every table in the markdown source is a table in the HTML
      with as many cells in each row as in its header; no element but those
      the report writes itself (headings, paragraphs, lists, tables, em, a
      and img pointing at the folder's own files) appears, so no name
      became markup; and every name in NAMES.json appears as text, as it
      is (newlines and tabs as spaces, bad bytes as U+FFFD).
  report_check.py html INDEX.html DIR [NAMES.json]
      One page that needs nothing else: no element or attribute loads
      anything but data: URLs and #fragments, no <script> at the top level
      (the charts' scripts live in their own documents), every *.svg of DIR
      is in an iframe whose data: URL decodes to the same bytes, and every
      name appears escaped in the text.
  report_check.py png FILE...
      Each file decodes as a PNG: signature, chunk CRCs, IHDR, the zlib
      stream of the IDAT chunks inflates to exactly height rows of
      1 + width * bytes-per-pixel bytes with valid filter types, IEND last.
  report_check.py suspect SUMMARY.md
      Prints the first leak suspect's site and its growth per hour in bytes
      ("SITE<TAB>BYTES_PER_HOUR").
"""
import base64
import html
import html.parser
import json
import os
import re
import struct
import sys
import zlib

problems = []


def problem(msg):
    problems.append(msg)
    print(msg)


def as_text(name):
    """What the report shows of a name: newlines/tabs as spaces, control
    characters as U+FFFD."""
    out = []
    for ch in name:
        if ch in "\n\r\t":
            out.append(" ")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


class Tree(html.parser.HTMLParser):
    """Tags, attributes and text of an HTML document, flat."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []
        self.stack = []
        self.tables = []  # per table: list of rows, each a list of (tag, text)
        self.cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), tuple(self.stack)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.cell = [tag, ""]
            self.tables[-1][-1].append(self.cell)
        if tag not in ("img", "br", "meta", "hr", "input", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cell = None
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell[1] += data


def check_names(path, tree, names_path):
    """Every name of NAMES.json is in the document's text as it is."""
    if not names_path:
        return
    text = "".join(tree.text)
    names = json.load(open(names_path, encoding="utf-8"))
    for n in names["names"] + [names["leaker"]]:
        if as_text(n) not in text:
            problem(f"{path}: name {n!r} is not shown as text")


def md_tables(src):
    """(header cell count, number of body rows) of each table in markdown
    source: a line starting with '|' followed by a delimiter row. A body row
    with another number of unescaped pipes is a problem (GitHub would drop
    or pad its cells silently)."""
    lines = src.split("\n")
    out = []
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1]):
            cols = len(re.findall(r"(?<!\\)\|", lines[i])) - 1
            rows = 0
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                got = len(re.findall(r"(?<!\\)\|", lines[i])) - 1
                if got != cols:
                    problem(f"markdown line {i + 1}: {got} cells, the header has {cols}")
                rows += 1
                i += 1
            out.append((cols, rows))
        else:
            i += 1
    return out


def check_md(summary, rendered, names_path=None):
    src = open(summary, encoding="utf-8").read()
    t = Tree()
    t.feed(open(rendered, encoding="utf-8").read())
    want = md_tables(src)
    if not want:
        problem(f"{summary}: no tables")
    if len(t.tables) != len(want):
        problem(f"{summary}: {len(want)} tables in the source, {len(t.tables)} rendered")
    for k, (table, (cols, rows)) in enumerate(zip(t.tables, want)):
        if len(table) != rows + 1:
            problem(f"table {k}: {rows} body rows in the source, {len(table) - 1} rendered")
        for r, row in enumerate(table):
            if len(row) != cols:
                problem(f"table {k} row {r}: {len(row)} cells, the header has {cols}: {row}")
    allowed = {"h1", "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "em", "a", "img"}
    files = set(os.listdir(os.path.dirname(os.path.abspath(summary))))
    for tag, attrs, _ in t.tags:
        if tag not in allowed:
            problem(f"{summary}: a <{tag}> element: some name became markup")
        if tag == "a" and attrs.get("href") not in files:
            problem(f"{summary}: a link to {attrs.get('href')!r}, not a file of the report")
        if tag == "img" and attrs.get("src") not in files:
            problem(f"{summary}: an image from {attrs.get('src')!r}, not a file of the report")
    check_names(summary, t, names_path)


def check_html(index, folder, names_path=None):
    doc = open(index, encoding="utf-8").read()
    t = Tree()
    t.feed(doc)
    svgs = sorted(f for f in os.listdir(folder) if f.endswith(".svg"))
    frames = {}
    for tag, attrs, stack in t.tags:
        if tag == "script":
            problem(f"{index}: a <script> element in the page")
        for k, v in attrs.items():
            if k in ("src", "href", "data", "action", "formaction", "poster", "srcset", "background", "xlink:href"):
                if not (v or "").startswith(("data:", "#")):
                    problem(f"{index}: <{tag} {k}={v[:80]!r}> would load something")
            if k.startswith("on"):
                problem(f"{index}: an event handler attribute <{tag} {k}>")
        if tag == "iframe":
            src = attrs.get("src", "")
            prefix = "data:image/svg+xml;base64,"
            if not src.startswith(prefix):
                problem(f"{index}: an iframe without an SVG data: URL")
                continue
            frames[attrs.get("data-file")] = base64.b64decode(src[len(prefix):])
    if re.search(r"url\(\s*['\"]?(?!data:|#)", doc):
        problem(f"{index}: a CSS url() that is not a data: URL")
    if "@import" in doc:
        problem(f"{index}: a CSS @import")
    if sorted(frames) != svgs:
        problem(f"{index}: charts shown {sorted(frames)}, SVG files {svgs}")
    for f, data in frames.items():
        path = os.path.join(folder, f or "")
        if f in svgs and open(path, "rb").read() != data:
            problem(f"{index}: the chart {f} differs from the file")
    check_names(index, t, names_path)


def check_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return problem(f"{path}: no PNG signature")
    pos, idat, ihdr, last = 8, b"", None, None
    while pos < len(data):
        if pos + 12 > len(data):
            return problem(f"{path}: truncated chunk at {pos}")
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return problem(f"{path}: bad CRC in {kind!r} at {pos}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        last = kind
        pos += 12 + n
    if not ihdr or last != b"IEND":
        return problem(f"{path}: no IHDR or not ending with IEND")
    w, h, depth, color, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace != 0 or w == 0 or h == 0:
        return problem(f"{path}: unexpected IHDR {ihdr}")
    raw = zlib.decompress(idat)
    stride = 1 + w * channels
    if len(raw) != h * stride:
        return problem(f"{path}: {len(raw)} bytes of pixels, want {h * stride}")
    if any(raw[r * stride] > 4 for r in range(h)):
        return problem(f"{path}: bad filter type")
    # Not blank: a chart has more than one color.
    if len(set(raw[1:stride])) <= 1 and len(set(raw[h // 2 * stride + 1:(h // 2 + 1) * stride])) <= 1 and \
            len(set(raw[(h - 1) * stride + 1:])) <= 1:
        problem(f"{path}: looks blank")


def first_suspect(summary):
    src = open(summary, encoding="utf-8").read()
    m = re.search(r"## Leak suspects\n(?:.*\n)*?\| \\# \|.*\n\|.*\n(\|.*)\n", src)
    if not m:
        print("no leak suspects table")
        sys.exit(1)
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(1))[1:-1]]
    site, per_hour = cells[1], cells[5]
    site = re.sub(r"\\(.)", r"\1", site)
    v = re.fullmatch(r"\+([0-9.]+) (B|KiB|MiB|GiB|TiB)/h", per_hour)
    if not v:
        print(f"cannot read the rate {per_hour!r}")
        sys.exit(1)
    scale = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[v.group(2)]
    print(f"{site}\t{float(v.group(1)) * scale:.0f}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "md" and len(argv) in (4, 5):
        check_md(*argv[2:])
    elif cmd == "html" and len(argv) in (4, 5):
        check_html(*argv[2:])
    elif cmd == "png" and len(argv) > 2:
        for p in argv[2:]:
            check_png(p)
    elif cmd == "suspect" and len(argv) == 3:
        first_suspect(argv[2])
    else:
        print(__doc__)
        return 2
    return 1 if problems else 0


sys.exit(main(sys.argv))
