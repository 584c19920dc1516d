// What every browser test shares: its command-line arguments, the PASS/FAIL
// lines and closing "N passed, N failed" that tests/cli/browser.sh sums, and
// launching the system's browsers headless: Chromium through playwright-core,
// Firefox ESR through puppeteer-core over WebDriver BiDi (neither package
// downloads a browser).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const arg = (name, dflt) => {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : dflt;
};
export const HEARTH = resolve(root, arg("--hearth", process.env.HEARTH || "build/hearth"));
export const OUT = resolve(root, arg("--out", "tests/out"));
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";

let passed = 0, failed = 0;
export function ok(name) { passed++; console.log(`PASS ${name}`); }
export function notOk(name, why) {
  failed++;
  console.log(`FAIL ${name}`);
  if (why) console.log(String(why).split("\n").map((l) => "  " + l).join("\n"));
}
export function expect(name, cond, why) { cond ? ok(name) : notOk(name, why); }

export const launch = () => chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

export const launchFirefox = () => puppeteer.launch({
  browser: "firefox", executablePath: FIREFOX, headless: true,
  // No updates, telemetry or first-run pages: nothing but the file opened.
  extraPrefsFirefox: { "app.update.enabled": false, "browser.shell.checkDefaultBrowser": false,
    "datareporting.policy.dataSubmissionEnabled": false, "toolkit.telemetry.enabled": false },
});

// Prints the closing line and exits 1 if any check failed.
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
