#!/usr/bin/env node
// shipgate's accessibility runner: loads each URL in headless Chromium, runs axe-core on it with
// the WCAG 2.0/2.1 level A and AA rules, and writes ONE JSON document: an array with one axe-core
// result per URL, in the order given (the shape @axe-core/cli writes, which shipgate's axe reader,
// gates::readAxe, reads). Each result's "url" is the URL as given.
//
//   node axe-scan.js [--page-timeout-ms N] [--output FILE] [--user-data-dir DIR] URL...
//
//   --page-timeout-ms  limit for loading one page and for running axe on it (default 30000);
//                      starting Chromium has its own limit (LAUNCH_TIMEOUT_MS below)
//   --output FILE      write the JSON there instead of stdout (diagnostics always go to stderr)
//   --user-data-dir    Chromium's profile directory (must exist, may be empty); default a fresh
//                      one under the temp dir. Either way it is removed at the end.
//   $CHROMIUM          the browser (default /usr/bin/chromium)
//
// Exit status: 0 the document was written (violations or not: judging them is the caller's);
// 1 a page could not be scanned (non-2xx answer, navigation timeout, connection refused, axe
// failed), with a message naming the URL; 2 bad arguments or Chromium cannot be launched.
'use strict';

// Starting Chromium is not loading a page: a short --page-timeout-ms must not fail the launch
// (Chromium took over 2 s to start on a CI machine busy with other tests). The caller's limit on
// the whole scan (gates::scanAccessibility's) still bounds it.
const LAUNCH_TIMEOUT_MS = 60000;

const fs = require('fs');
const os = require('os');
const path = require('path');

const kTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

function usage(msg) {
  process.stderr.write(`axe-scan: ${msg}\n` +
    'usage: axe-scan.js [--page-timeout-ms N] [--output FILE] [--user-data-dir DIR] URL...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { pageTimeoutMs: 30000, output: '', userDataDir: '', urls: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--page-timeout-ms') {
      const v = value();
      if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 3600000) {
        usage(`--page-timeout-ms: expected milliseconds 1..3600000, got "${v}"`);
      }
      opts.pageTimeoutMs = Number(v);
    } else if (a === '--output') {
      opts.output = value();
    } else if (a === '--user-data-dir') {
      opts.userDataDir = value();
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      let u;
      try {
        u = new URL(a);
      } catch (e) {
        usage(`not a URL: "${a}"`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') usage(`not an http(s) URL: "${a}"`);
      opts.urls.push(a);
    }
  }
  if (opts.urls.length === 0) usage('no URL given');
  return opts;
}

// Rejects with `what` when `promise` has not settled within ms.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function scanPage(context, axeSource, url, ms) {
  const page = await context.newPage();
  // The main document's status, also when Chromium shows its own error page instead (an error
  // status with an empty body fails goto() with net::ERR_HTTP_RESPONSE_CODE_FAILURE).
  let documentStatus = 0;
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
      documentStatus = r.status();
    }
  });
  try {
    let response;
    try {
      response = await page.goto(url, { waitUntil: 'load', timeout: ms });
    } catch (e) {
      const first = String(e.message || e).split('\n')[0];
      if (/Timeout/i.test(first)) throw new Error(`${url}: navigation timed out after ${ms} ms`);
      if (documentStatus >= 300) throw new Error(`${url}: HTTP ${documentStatus}, expected 2xx`);
      throw new Error(`${url}: ${first}`);
    }
    if (response === null) throw new Error(`${url}: no response`);
    const status = response.status();
    if (status < 200 || status > 299) throw new Error(`${url}: HTTP ${status}, expected 2xx`);
    // evaluate() runs in the page through the DevTools protocol: a page's CSP cannot block it.
    await page.evaluate(axeSource);
    const result = await within(
      page.evaluate((tags) => window.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }), kTags),
      ms, `${url}: axe did not finish within ${ms} ms`);
    result.url = url;
    return result;
  } finally {
    await page.close().catch(() => {});
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let chromium;
  let axeSource;
  try {
    ({ chromium } = require('playwright-core'));
    axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  } catch (e) {
    process.stderr.write(`axe-scan: ${e.message.split('\n')[0]} (run npm ci in ${__dirname})\n`);
    process.exit(2);
  }
  const executable = process.env.CHROMIUM || '/usr/bin/chromium';
  const profile = opts.userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'sg-axe-'));
  const cleanup = () => {
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      process.stderr.write(`axe-scan: cannot remove ${profile}: ${e.message}\n`);
    }
  };
  let context;
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, async () => {
      // Chromium first (it writes its profile while it shuts down), then the profile.
      if (context) await within(context.close(), 5000, 'close').catch(() => {});
      cleanup();
      process.exit(1);
    });
  }
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable,
      headless: true,
      timeout: Math.max(opts.pageTimeoutMs, LAUNCH_TIMEOUT_MS),
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-quic'
      ],
    });
  } catch (e) {
    cleanup();
    process.stderr.write(`axe-scan: cannot launch Chromium (${executable}): ` +
      `${String(e.message || e).split('\n')[0]}\n`);
    process.exit(2);
  }
  let code = 0;
  const results = [];
  try {
    for (const url of opts.urls) {
      results.push(await scanPage(context, axeSource, url, opts.pageTimeoutMs));
    }
    const text = JSON.stringify(results) + '\n';
    if (opts.output) fs.writeFileSync(opts.output, text);
    else process.stdout.write(text);
  } catch (e) {
    process.stderr.write(`axe-scan: ${e.message}\n`);
    code = 1;
  } finally {
    await context.close().catch(() => {});
    cleanup();
  }
  process.exitCode = code;
}

main().catch((e) => {
  process.stderr.write(`axe-scan: ${e.stack || e}\n`);
  process.exit(1);
});
