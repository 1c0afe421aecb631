// A session's desktop through a view link and a control link at once, in headless Chromium, as two
// people would have it: both pages connect without a password; keys typed into the view page must
// not change the guest's screen, keys typed into the control page must; then the control page keeps
// typing for a while (so the session stays in use). Every HTTP response and WebSocket frame the
// browser receives is searched for the VM's VNC password. Writes screenshots and prints a JSON
// verdict.
// Usage: node handoff.mjs <view-url> <control-url> <out-dir> <vnc-password> [type-seconds] [timeout-ms]
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [viewUrl, controlUrl, outDir, password, typeSecondsArg, timeoutArg] = process.argv.slice(2);
if (!viewUrl || !controlUrl || !outDir || !password) {
  console.error('usage: node handoff.mjs <view-url> <control-url> <out-dir> <vnc-password> [type-seconds] [timeout-ms]');
  process.exit(2);
}
const typeSeconds = Number(typeSecondsArg ?? 0);
const timeout = Number(timeoutArg ?? 90000);
const secret = Buffer.from(password, 'latin1');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const verdict = { responsesChecked: 0, framesChecked: 0, passwordSeen: [] };
const watch = (page, name) => {
  page.on('console', (m) => console.error(`[${name}] ${m.text()}`));
  page.on('response', async (response) => {
    try {
      const body = await response.body();
      verdict.responsesChecked++;
      if (body.includes(secret)) verdict.passwordSeen.push(`${name} response ${response.url().replace(/token=[^&]+/, 'token=…')}`);
    } catch (e) {
      // A redirect or an aborted load has no body.
    }
  });
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => {
    verdict.framesChecked++;
    const payload = Buffer.isBuffer(frame.payload) ? frame.payload : Buffer.from(frame.payload, 'latin1');
    if (payload.includes(secret)) verdict.passwordSeen.push(`${name} WebSocket frame`);
  }));
};

// Waits until the page's noVNC is connected and its canvas shows more than one colour.
async function connected(page) {
  await page.waitForSelector('#status.ok', { state: 'attached', timeout });
  await page.waitForFunction(() => {
    const canvas = document.querySelector('canvas');
    if (!canvas || canvas.width === 0) return false;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    for (let i = 0; i < data.length && colours.size < 2; i += 4 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return colours.size >= 2;
  }, null, { timeout, polling: 200 });
}

// Keeps a copy of the page's canvas under `name`.
const snap = (page, name) => page.evaluate((name) => {
  const canvas = document.querySelector('canvas');
  window.kindlingSnaps = window.kindlingSnaps ?? {};
  window.kindlingSnaps[name] = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.slice();
}, name);

// Pixels that differ (by more than 24 in a channel) between the canvas now and the copy `name`.
const changedSince = (page, name) => page.evaluate((name) => {
  const canvas = document.querySelector('canvas');
  const now = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const then = window.kindlingSnaps[name];
  let changed = 0;
  for (let i = 0; i < now.length; i += 4) {
    if (Math.abs(now[i] - then[i]) > 24 || Math.abs(now[i + 1] - then[i + 1]) > 24 || Math.abs(now[i + 2] - then[i + 2]) > 24) changed++;
  }
  return changed;
}, name);

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let ok = false;
try {
  const view = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const control = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(view, 'view');
  watch(control, 'control');
  await view.goto(viewUrl);
  await connected(view);
  await control.goto(controlUrl);
  await connected(control);
  verdict.viewBadge = await view.evaluate(() => !document.getElementById('badge').hidden);
  verdict.controlBadge = await control.evaluate(() => !document.getElementById('badge').hidden);
  await settle(1500);

  await snap(control, 'before');
  await snap(view, 'before');
  await view.screenshot({ path: join(outDir, 'handoff-view-before.png') });
  // Keys and clicks into the view page: the proxy must drop them.
  await view.mouse.click(640, 400);
  await view.keyboard.type('echo typed-through-the-view-link', { delay: 20 });
  await view.keyboard.press('Enter');
  await settle(3000);
  verdict.viewTypedChangedPixels = { onControlPage: await changedSince(control, 'before'), onViewPage: await changedSince(view, 'before') };
  await view.screenshot({ path: join(outDir, 'handoff-view-after-view-typing.png') });

  // The same keys into the control page must reach the guest, and both pages show the result.
  await control.mouse.click(640, 400);
  await control.keyboard.type('echo typed-through-the-control-link', { delay: 20 });
  await control.keyboard.press('Enter');
  await control.waitForFunction((name) => {
    const canvas = document.querySelector('canvas');
    const now = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const then = window.kindlingSnaps[name];
    let changed = 0;
    for (let i = 0; i < now.length; i += 4) if (Math.abs(now[i] - then[i]) > 24 || Math.abs(now[i + 1] - then[i + 1]) > 24) changed++;
    return changed > 500;
  }, 'before', { timeout: 30000, polling: 200 }).catch(() => {});
  await settle(1500);
  verdict.controlTypedChangedPixels = { onControlPage: await changedSince(control, 'before'), onViewPage: await changedSince(view, 'before') };
  await control.screenshot({ path: join(outDir, 'handoff-control-after-control-typing.png') });
  await view.screenshot({ path: join(outDir, 'handoff-view-after-control-typing.png') });

  // Someone keeps using the session through the control link.
  const typingUntil = Date.now() + typeSeconds * 1000;
  let typed = 0;
  while (Date.now() < typingUntil) {
    await control.keyboard.type(typed % 2 === 0 ? 'x' : '\b', { delay: 10 });
    typed++;
    await settle(1000);
  }
  verdict.keysWhileTyping = typed;
  verdict.typingEndedAtEpochMillis = Date.now();
  ok = true;
} catch (e) {
  verdict.error = String(e.message ?? e).split('\n')[0];
} finally {
  await browser.close();
}
verdict.ok = ok;
console.log(JSON.stringify(verdict));
process.exit(ok ? 0 : 1);
