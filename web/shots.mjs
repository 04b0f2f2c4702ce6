// Screenshots of the web build for a person to look at (not run by CI):
// serves web/dist and opens it in headless Chromium at a desktop, a
// projector and a phone size (the phone with touch), the default page and
// the paper's lesson (Help → The paper in 8 demos, via its command), and
// writes OUT/<size>-<what>.png.
//
//   node web/shots.mjs OUT
//
// Needs what web/test.mjs needs (Debian's chromium, `npm ci` in web/).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const out = process.argv[2] ?? "shots";
fs.mkdirSync(out, { recursive: true });
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".safetensors": "application/octet-stream",
};
const server = http.createServer((req, res) => {
  const asked = path.join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
  const file = asked.endsWith(path.sep) || asked === dist ? path.join(asked, "index.html") : asked;
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(data);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const sizes = [
  ["1440x900", { width: 1440, height: 900 }, false],
  ["1024x768", { width: 1024, height: 768 }, false],
  ["390x844", { width: 390, height: 844 }, true],
];
let errors = 0;
for (const [name, viewport, touch] of sizes) {
  const context = await browser.newContext({ viewport, hasTouch: touch, isMobile: touch });
  const page = await context.newPage();
  page.on("pageerror", (e) => {
    errors += 1;
    console.log(`${name}: ${e}`);
  });
  await page.goto(origin);
  await page.waitForFunction(
    () => document.getElementById("teleport_lab_canvas")?.hasAttribute("data-rows"),
    null,
    { timeout: 120_000 },
  );
  // Wait for the runs, then a few frames.
  await page.waitForFunction(
    () => Number(document.getElementById("teleport_lab_canvas")?.getAttribute("data-runs") ?? 0) > 0,
    null,
    { timeout: 120_000 },
  );
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(out, `${name}-default.png`) });
  if (touch) {
    // The phone's controls drawer: a tap on "☰ Controls" (top left).
    await page.touchscreen.tap(40, 12);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(out, `${name}-controls.png`) });
  }
  await context.close();
}
await browser.close();
server.close();
console.log(`screenshots in ${out}; ${errors} page errors`);
process.exit(errors ? 1 : 0);
