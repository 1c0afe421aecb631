// Opens a session page served by the Kindling proxy in headless Chromium, waits until noVNC is
// connected and the canvas shows the VM's desktop (and, when asked, until at least a share of it
// is one colour: the app's own), writes a screenshot, and prints a JSON verdict.
// Usage: node desktop.mjs <page-url> <screenshot.png> [timeout-ms] [RRGGBB min-share]
import { chromium } from 'playwright-core';

const [url, screenshot, timeoutArg, expectColour, expectShareArg] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node desktop.mjs <page-url> <screenshot.png> [timeout-ms] [RRGGBB min-share]');
  process.exit(2);
}
const timeout = Number(timeoutArg ?? 60000);
const expected = expectColour ? parseInt(expectColour, 16) : null;
const expectedShare = Number(expectShareArg ?? 0);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let verdict = { url: url.replace(/token=[^&]+/, 'token=…') };
let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => console.error(`[page] ${m.text()}`));
  await page.goto(url);
  // The page hides #status (class "ok") once noVNC reports "connect".
  await page.waitForSelector('#status.ok', { state: 'attached', timeout });
  // Wait until the canvas has received a framebuffer with more than one colour (and enough of the
  // expected colour, within a small tolerance for the VNC encoding).
  const stats = await page.waitForFunction(([expected, expectedShare]) => {
    const canvas = document.querySelector('canvas');
    if (!canvas || canvas.width === 0) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let nonBlack = 0;
    let matching = 0;
    for (let i = 0; i < data.length; i += 4 * 7) {
      const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      colours.add(rgb);
      if (rgb !== 0) nonBlack++;
      if (expected !== null && Math.abs(data[i] - (expected >> 16)) <= 8 && Math.abs(data[i + 1] - ((expected >> 8) & 0xff)) <= 8
          && Math.abs(data[i + 2] - (expected & 0xff)) <= 8) matching++;
    }
    const samples = data.length / (4 * 7);
    if (colours.size < 2 || (expected !== null && matching / samples < expectedShare)) return null;
    return { width: canvas.width, height: canvas.height, colours: colours.size, nonBlackShare: nonBlack / samples,
      expectedShare: expected === null ? null : matching / samples };
  }, [expected, expectedShare], { timeout, polling: 200 });
  verdict = { ...verdict, connected: true, ...(await stats.jsonValue()) };
  await page.screenshot({ path: screenshot });
} catch (e) {
  verdict = { ...verdict, connected: false, error: String(e.message ?? e).split('\n')[0] };
  // What the page showed instead, for whoever reads the failure.
  await page?.screenshot({ path: screenshot }).catch(() => {});
} finally {
  await browser.close();
}
console.log(JSON.stringify(verdict));
process.exit(verdict.connected ? 0 : 1);
