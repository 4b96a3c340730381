// The browser benchmark's baseline: puppeteer-core drives the same Chromium binary
// (over a pipe, like Airlock) through the same proxy, and times navigate + viewport
// screenshot on the same page. Prints one JSON line: {"p50_ms", "samples", "version"}.
// Usage: node baseline.mjs CHROMIUM URL ITERATIONS PROXY_PORT PROFILE_DIR OUT_FILE
import puppeteer from 'puppeteer-core';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [chromium, url, iterations, proxyPort, profileDir, outFile] = process.argv.slice(2);
const args = [
  '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--metrics-recording-only', '--disable-default-apps', '--mute-audio', '--hide-scrollbars',
  `--proxy-server=http://127.0.0.1:${proxyPort}`, '--proxy-bypass-list=<-loopback>',
];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
const browser = await puppeteer.launch({
  executablePath: chromium, pipe: true, headless: 'shell', userDataDir: profileDir, args,
  defaultViewport: { width: 1280, height: 800 },
});
const page = await browser.newPage();
const once = async () => {
  await page.goto(url, { waitUntil: 'load' });
  writeFileSync(outFile, await page.screenshot({ type: 'png' }));
};
await once(); // warm-up, like the measured side
const samples = [];
for (let i = 0; i < Number(iterations); i++) {
  const t = performance.now();
  await once();
  samples.push(performance.now() - t);
}
samples.sort((a, b) => a - b);
const version = createRequire(import.meta.url)('puppeteer-core/package.json').version;
console.log(JSON.stringify({ p50_ms: samples[Math.floor(samples.length / 2)], samples: samples.length, version,
                             browser: await browser.version() }));
await browser.close();
