// http_page.js - drives the status page of outputs.http in Debian's headless
// Chromium with playwright-core, for test_http_page.py.
//
//   node http_page.js URL SCREENSHOT USER_DATA_DIR
//
// Speaks JSON lines on stdout and waits for words on stdin, so that the
// Python test can act on the room between the steps:
//   {"event":"loaded", "pollMs", "points": [...], "alerts": "..."}  the page
//       drew the room; then it waits for "heated"
//   {"event":"alert", "ms", "text"}   room-temp-high appeared, MS after
//       "heated" came; then it waits for "muted"
//   {"event":"down", "device": {...}}  rack-b shown down, greyed
//   {"event":"screenshot", "path"}    a PNG of the whole page; then it
//       waits for "stopped"
//   {"event":"nodata", "ms", "banner"}  the page greyed out under its banner,
//       MS after "stopped" came
// Any failure is {"event":"error","message"} and exit status 1.
"use strict";
const readline = require("readline");
const { chromium } = require("playwright-core");

const [url, screenshot, userDataDir] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (doc) => process.stdout.write(JSON.stringify(doc) + "\n");

async function waitFor(word) {
  const { value, done } = await lines.next();
  if (done || value.trim() !== word) throw new Error(`expected "${word}" on stdin, got ${value}`);
}

// Every point tile as the page shows it.
function points(page) {
  return page.$$eval(".point", (els) => els.map((e) => ({
    device: e.dataset.device,
    point: e.dataset.point,
    value: e.querySelector(".num").textContent,
    unit: (e.querySelector(".punit") || { textContent: "" }).textContent,
    stale: e.classList.contains("stale"),
    alerting: e.classList.contains("alerting"),
    grey: getComputedStyle(e.querySelector(".pval")).color,
  })));
}

async function main() {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync"],
    viewport: { width: 1600, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(url);
    await page.waitForSelector('.point[data-device="rack-b"][data-point="temperature"]');
    say({ event: "loaded", pollMs: Number(await page.evaluate(() => document.body.dataset.pollMs)),
          title: await page.title(), points: await points(page),
          alerts: await page.textContent("#alerts"),
          health: await page.textContent("#health"), errors });

    await waitFor("heated");
    const t0 = Date.now();
    const card = await page.waitForSelector('.alert[data-alert="room-temp-high"]',
                                            { timeout: 30000 });
    say({ event: "alert", ms: Date.now() - t0, text: await card.innerText(),
          points: await points(page) });

    await waitFor("muted");
    const dev = await page.waitForSelector('.device.down[data-device="rack-b"]',
                                           { timeout: 30000 });
    say({ event: "down", device: { text: await dev.innerText(),
          lastseen: await dev.$eval(".lastseen", (e) => e.textContent) },
          points: await points(page), errors });

    await page.screenshot({ path: screenshot, fullPage: true });
    say({ event: "screenshot", path: screenshot });

    await waitFor("stopped");
    const t1 = Date.now();
    await page.waitForSelector("body.nodata #banner", { state: "visible", timeout: 60000 });
    say({ event: "nodata", ms: Date.now() - t1, banner: await page.textContent("#banner"),
          opacity: await page.$eval("main", (e) => getComputedStyle(e).opacity) });
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (e) => {
  say({ event: "error", message: String(e && e.stack || e) });
  process.exit(1);
});
