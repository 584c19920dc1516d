# Browser tests, tests/browser/*.test.mjs: the flame graph's script in
# headless Chromium (flame.test.mjs: hover, click to zoom, Reset Zoom,
# Ctrl-F search, the URL hash, hostile names, --no-js) and in headless
# Firefox ESR (firefox.test.mjs: the same interactions), the report's
# index.html (report.test.mjs: every chart shown, no network request) and
# the timeline's event labels (timeline.test.mjs). Needs node,
# /usr/bin/chromium and /usr/bin/firefox-esr (make deps); the npm packages,
# playwright-core and puppeteer-core (pinned in
# tests/browser/package-lock.json), are installed with `npm ci` when
# tests/browser/node_modules is missing or holds other versions. Neither
# downloads a browser: the tests launch the system's. Screenshots go to
# tests/out/. About 30 s.
. tests/cli/lib.sh

B=tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

for tool in node npm; do
    if ! command -v $tool >/dev/null 2>&1; then
        not_ok "${tool}_installed" "$tool is not on PATH (make deps)"
        finish
        exit
    fi
done
FIREFOX=${FIREFOX:-/usr/bin/firefox-esr}
export FIREFOX
for b in "$CHROMIUM" "$FIREFOX"; do
    if [ ! -x "$b" ]; then
        not_ok "${b##*/}_installed" "no $b (make deps)"
        finish
        exit
    fi
done
if [ ! -x "$HEARTH" ]; then
    not_ok hearth_built "no $HEARTH: run make all first"
    finish
    exit
fi

# The installed packages are the locked ones, or npm ci puts them there.
installed() {
    (cd "$B" && node -e '
        const fs = require("fs");
        const lock = JSON.parse(fs.readFileSync("package-lock.json")).packages;
        for (const p of ["playwright-core", "puppeteer-core"]) {
            const got = JSON.parse(fs.readFileSync(`node_modules/${p}/package.json`)).version;
            if (lock[`node_modules/${p}`].version !== got) process.exit(1);
        }' 2>/dev/null)
}
if ! installed; then
    if (cd "$B" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund) >"$TMP/npm.log" 2>&1 &&
        installed; then
        ok npm_ci_installs_playwright_core
    else
        not_ok npm_ci_installs_playwright_core "$(tail -n 15 "$TMP/npm.log")"
        finish
        exit
    fi
fi

mkdir -p tests/out
# Every tests/browser/*.test.mjs (flame graphs, the report's index.html).
for t in "$B"/*.test.mjs; do
    name=${t##*/}
    name=${name%.test.mjs}
    node "$t" --hearth "$HEARTH" --out tests/out --fixtures "$FIXTURES" >"$TMP/browser.log" 2>&1
    rc=$?
    # Its PASS/FAIL lines are ours; its closing line is added to our counts.
    grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$TMP/browser.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/browser.log" | tail -n 1)
    if [ -z "$line" ]; then
        not_ok "${name}_test_finishes" "no closing line (exit $rc)"
    else
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed}
        _pass=$((_pass + p))
        _fail=$((_fail + f))
        [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || not_ok "${name}_test_exit_status" "exit $rc with no failure counted"
    fi
done
finish
