// Opens the Temporal Web UI (v2.42, as served by `temporal server start-dev`) in headless Chromium and
// proves an operator can see a workflow's user metadata there: its static summary and its current
// details (User Metadata tab; "Current Details" is what the workflow set with
// Workflow.setCurrentDetails, the static details also count), its search attributes (Search
// Attributes tab), and that a schedule is listed on the Schedules page. Writes screenshots and prints
// one JSON line: {"ok", "workflowUrl", "found": {"summary", "details", "attributes": {NAME: bool},
// "schedule"}, "problems": [...]}. Exit 0 when everything was found, 1 otherwise, 2 on usage errors.
// Usage: node temporal-ui.mjs --ui http://127.0.0.1:PORT [--namespace default] --workflow-id ID
//          [--expect-summary TEXT] [--expect-details TEXT] [--expect-attribute NAME=VALUE]...
//          [--schedule SCHEDULE_ID] [--screenshot workflow.png] [--schedules-screenshot schedules.png]
//          [--timeout-ms 20000]
// --screenshot gets the User Metadata tab with the Search Attributes tab stacked below it (full pages).
import { chromium } from 'playwright-core';

const USAGE = 'usage: node temporal-ui.mjs --ui <url> [--namespace ns] --workflow-id <id> [--expect-summary text]'
  + ' [--expect-details text] [--expect-attribute NAME=VALUE]... [--schedule id] [--screenshot png]'
  + ' [--schedules-screenshot png] [--timeout-ms ms]';
function usage(message) {
  console.error(`temporal-ui.mjs: ${message}\n${USAGE}`);
  process.exit(2);
}

const opts = { namespace: 'default', attributes: [], timeoutMs: 20000 };
const flags = {
  '--ui': 'ui', '--namespace': 'namespace', '--workflow-id': 'workflowId', '--expect-summary': 'summary',
  '--expect-details': 'details', '--schedule': 'schedule', '--screenshot': 'screenshot',
  '--schedules-screenshot': 'schedulesScreenshot', '--timeout-ms': 'timeoutMs',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  // Both `--flag value` and `--flag=value` (split at the first '=', so --expect-attribute=K=V works).
  const eqAt = argv[i].startsWith('--') ? argv[i].indexOf('=') : -1;
  const [flag, inline] = eqAt > 0 ? [argv[i].slice(0, eqAt), argv[i].slice(eqAt + 1)] : [argv[i], undefined];
  if (flag !== '--expect-attribute' && !(flag in flags)) usage(`unknown argument ${argv[i]}`);
  const value = inline ?? argv[++i];
  if (value === undefined) usage(`${flag} needs a value`);
  if (flag === '--expect-attribute') {
    const eq = value.indexOf('=');
    if (eq <= 0) usage(`--expect-attribute wants NAME=VALUE, got ${value}`);
    opts.attributes.push([value.slice(0, eq), value.slice(eq + 1)]);
  } else {
    opts[flags[flag]] = value;
  }
}
if (!opts.ui || !opts.workflowId) usage('--ui and --workflow-id are required');
opts.timeoutMs = Number(opts.timeoutMs);
if (!(opts.timeoutMs > 0)) usage('--timeout-ms must be a positive number');
const ui = opts.ui.replace(/\/+$/, '');
const ns = encodeURIComponent(opts.namespace);
const wfId = encodeURIComponent(opts.workflowId);

// Never hang: whatever happens, print a verdict and leave within a minute or so.
const HARD_LIMIT_MS = Math.max(60000, opts.timeoutMs * 2 + 20000);
const started = Date.now();
const remaining = (budgetEnd) => Math.max(0, budgetEnd - Date.now());

const found = {
  summary: opts.summary === undefined ? null : false,
  details: opts.details === undefined ? null : false,
  attributes: Object.fromEntries(opts.attributes.map(([name]) => [name, false])),
  schedule: opts.schedule === undefined ? null : false,
};
const problems = [];
const verdict = { ok: false, workflowUrl: null, runId: null, found, problems };
let browser;
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  verdict.ok = problems.length === 0;
  verdict.elapsedMs = Date.now() - started;
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : 1);
}
setTimeout(() => {
  problems.push(`overall timeout after ${HARD_LIMIT_MS} ms`);
  browser?.close().catch(() => {});
  finish();
}, HARD_LIMIT_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const short = (e) => String(e?.message ?? e).split('\n')[0];

// The run to show. DescribeWorkflowExecution through the UI server's own HTTP API names the latest
// run without waiting for visibility; if that is not reachable, the UI's /workflows/<id> route
// resolves the latest run itself (through a visibility query) and redirects to its history page.
// Returns the run id, null when the server says there is no such workflow, undefined when unknown.
async function latestRunId() {
  try {
    const res = await fetch(`${ui}/api/v1/namespaces/${ns}/workflows/${wfId}`, { signal: AbortSignal.timeout(5000) });
    if (res.ok) return (await res.json())?.workflowExecutionInfo?.execution?.runId ?? undefined;
    console.error(`[temporal-ui] describe via UI API: HTTP ${res.status}`);
    if (res.status === 404) return null;
  } catch (e) {
    console.error(`[temporal-ui] describe via UI API failed: ${short(e)}`);
  }
  return undefined;
}

// Text shown in the User Metadata tab, per section heading ("Summary", "Details", "Current Details").
// Each section renders its markdown in an <iframe title="output" src="/render?content=..."> (same
// origin), so the visible text lives in the iframe's document, not in the page's own DOM.
async function userMetadataTexts(page) {
  const sections = {};
  const headings = await page.locator('main h3').all();
  for (const heading of headings) {
    const title = (await heading.textContent().catch(() => ''))?.trim();
    if (!['Summary', 'Details', 'Current Details'].includes(title)) continue;
    // The section is the nearest ancestor of the heading that holds an iframe.
    const iframe = await heading.evaluateHandle((h) => {
      for (let n = h.parentElement; n && n.tagName !== 'MAIN'; n = n.parentElement) {
        const frames = n.querySelectorAll('iframe');
        if (frames.length === 1) return frames[0];
        if (frames.length > 1) return null;
      }
      return null;
    }).catch(() => null);
    const frame = await iframe?.asElement()?.contentFrame().catch(() => null);
    const text = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
    sections[title] = text.trim();
  }
  return sections;
}

// Search attributes as the Search Attributes tab shows them: read-only JSON in a CodeMirror view
// under the "Search Attributes" heading ({"indexedFields": {NAME: value, ...}}).
async function shownSearchAttributes(page) {
  return page.evaluate(() => {
    const heading = [...document.querySelectorAll('main h1, main h2, main h3, main h4')]
      .find((h) => h.textContent.trim() === 'Search Attributes');
    if (!heading) return null;
    let content = null;
    for (let n = heading.parentElement; n && !content && n.tagName !== 'MAIN'; n = n.parentElement) {
      content = n.querySelector('.cm-content');
    }
    if (!content) return null;
    const lines = content.querySelectorAll('.cm-line');
    const text = lines.length ? [...lines].map((l) => l.textContent).join('\n') : content.textContent;
    try {
      const parsed = JSON.parse(text);
      return { fields: parsed?.indexedFields ?? parsed, text };
    } catch {
      return { fields: null, text };
    }
  });
}

function attributeMatches(shown, name, expected) {
  if (!shown) return false;
  if (shown.fields && typeof shown.fields === 'object') {
    if (!(name in shown.fields)) return false;
    const value = shown.fields[name];
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => (typeof v === 'string' ? v : JSON.stringify(v)) === expected);
  }
  // Not parseable as JSON (e.g. truncated view): fall back to the literal `"NAME": "VALUE"` text.
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`"${esc(name)}"\\s*:\\s*(\\[[^\\]]*)?"?${esc(expected)}"?`).test(shown.text);
}

async function main() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10000);
  page.setDefaultNavigationTimeout(15000);
  page.on('pageerror', (e) => console.error(`[page error] ${short(e)}`));
  const budgetEnd = Date.now() + opts.timeoutMs;

  // 1. Find the run and its page.
  let runId = await latestRunId();
  if (runId === undefined) {
    await page.goto(`${ui}/namespaces/${ns}/workflows/${wfId}`);
    const runRoute = new RegExp(`/namespaces/[^/]+/workflows/[^/]+/([^/?#]+)/history`);
    await page.waitForURL(runRoute, { timeout: remaining(budgetEnd) || 1 }).catch(() => {});
    runId = page.url().match(runRoute)?.[1] ?? null;
  }
  if (!runId) {
    problems.push(`workflow ${opts.workflowId} not found in namespace ${opts.namespace}`);
    if (opts.screenshot) {
      // What the UI shows for it instead, for whoever reads the failure.
      const query = encodeURIComponent(`WorkflowId="${opts.workflowId}"`);
      await page.goto(`${ui}/namespaces/${ns}/workflows?query=${query}`).catch(() => {});
      await page.locator('main table').first().waitFor({ timeout: 5000 }).catch(() => {});
      await page.screenshot({ path: opts.screenshot, fullPage: true }).catch(() => {});
    }
  } else {
    verdict.runId = decodeURIComponent(runId);
    const base = `${ui}/namespaces/${ns}/workflows/${wfId}/${encodeURIComponent(verdict.runId)}`;
    verdict.workflowUrl = `${base}/history`;
    await page.goto(verdict.workflowUrl);
    await page.locator('[data-testid="workflow-id-heading"]').waitFor({ timeout: remaining(budgetEnd) || 1 })
      .catch(() => problems.push('workflow page did not show the workflow heading'));

    // 2a. Summary and details: User Metadata tab.
    const shots = [];
    if (opts.summary !== undefined || opts.details !== undefined) {
      await page.locator('[data-testid="user-metadata-tab"]').click({ timeout: remaining(budgetEnd) || 1 })
        .catch(() => page.goto(`${base}/user-metadata`).catch(() => {}));
      let sections = {};
      let lastReload = Date.now();
      for (;;) {
        sections = await userMetadataTexts(page);
        if (opts.summary !== undefined) found.summary = (sections.Summary ?? '').includes(opts.summary);
        if (opts.details !== undefined) {
          const where = ['Current Details', 'Details'].filter((s) => (sections[s] ?? '').includes(opts.details));
          found.details = where.length > 0;
          verdict.detailsIn = where;
        }
        if (found.summary !== false && found.details !== false) break;
        if (remaining(budgetEnd) === 0) break;
        // Current details come from a query answered by a worker: it may have been unanswered or
        // stale when the tab loaded, so ask again (the UI queries once per load) every few seconds.
        if (Date.now() - lastReload > 4000 && remaining(budgetEnd) > 3000) {
          await page.reload().catch(() => {});
          lastReload = Date.now();
        }
        await sleep(250);
      }
      verdict.userMetadata = sections;
      if (found.summary === false) problems.push(`summary containing ${JSON.stringify(opts.summary)} not shown (Summary: ${JSON.stringify(sections.Summary ?? null)})`);
      if (found.details === false) problems.push(`details containing ${JSON.stringify(opts.details)} not shown (Current Details: ${JSON.stringify(sections['Current Details'] ?? null)}, Details: ${JSON.stringify(sections.Details ?? null)})`);
      if (opts.screenshot) shots.push(await page.screenshot({ fullPage: true }).catch(() => null));
    }

    // 2b. Search attributes: Search Attributes tab.
    if (opts.attributes.length > 0) {
      await page.locator('[data-testid="search-attributes-tab"]').click({ timeout: Math.max(remaining(budgetEnd), 3000) })
        .catch(() => page.goto(`${base}/search-attributes`).catch(() => {}));
      let shown = null;
      for (;;) {
        shown = await shownSearchAttributes(page).catch(() => null);
        for (const [name, value] of opts.attributes) found.attributes[name] = attributeMatches(shown, name, value);
        if (Object.values(found.attributes).every(Boolean) || remaining(budgetEnd) === 0) break;
        await sleep(250);
      }
      verdict.searchAttributes = shown?.fields ?? shown?.text ?? null;
      for (const [name, value] of opts.attributes) {
        if (!found.attributes[name]) {
          problems.push(`search attribute ${name}=${value} not shown (shown: ${shown?.fields ? JSON.stringify(shown.fields[name] ?? null) : 'nothing'})`);
        }
      }
      if (opts.screenshot) shots.push(await page.screenshot({ fullPage: true }).catch(() => null));
    }
    if (opts.screenshot) {
      if (shots.length === 0) shots.push(await page.screenshot({ fullPage: true }).catch(() => null));
      await writeStacked(shots.filter(Boolean), opts.screenshot);
    }
  }

  // 3. Schedules page: the schedule id is a link to /namespaces/<ns>/schedules/<id> in the list.
  if (opts.schedule !== undefined) {
    const scheduleEnd = Math.max(budgetEnd, Date.now() + 8000);
    const link = page.locator(`main a[href$="/schedules/${encodeURIComponent(opts.schedule)}"]`)
      .filter({ hasText: opts.schedule });
    await page.goto(`${ui}/namespaces/${ns}/schedules`).catch((e) => problems.push(`schedules page: ${short(e)}`));
    for (;;) {
      // The list comes from visibility and can lag a just-created schedule: reload until it shows.
      found.schedule = await link.first().waitFor({ timeout: Math.min(4000, remaining(scheduleEnd)) || 1 })
        .then(() => true, () => false);
      if (found.schedule || remaining(scheduleEnd) === 0) break;
      await page.reload().catch(() => {});
    }
    if (!found.schedule) problems.push(`schedule ${opts.schedule} not listed on ${ui}/namespaces/${opts.namespace}/schedules`);
    if (opts.schedulesScreenshot) {
      await page.screenshot({ path: opts.schedulesScreenshot, fullPage: true })
        .catch((e) => problems.push(`schedules screenshot: ${short(e)}`));
    }
  }
}

// One PNG: the given page screenshots stacked vertically (rendered by the same browser, offline).
async function writeStacked(pngs, path) {
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    if (pngs.length === 1) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path, pngs[0]);
    } else {
      const imgs = pngs.map((b) => `<img src="data:image/png;base64,${b.toString('base64')}">`).join('<hr>');
      await page.setContent(`<html><body style="margin:0;background:#444">
        <style>img{display:block;width:1280px}hr{margin:0;border:0;height:6px;background:#444}</style>${imgs}</body></html>`);
      await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
      await page.screenshot({ path, fullPage: true });
    }
    await page.close();
  } catch (e) {
    problems.push(`screenshot: ${short(e)}`);
  }
}

try {
  await main();
} catch (e) {
  problems.push(short(e));
} finally {
  await browser?.close().catch(() => {});
}
finish();
