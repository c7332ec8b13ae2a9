// Drives headless Chromium (playwright-core from tests/js) through the managed challenge.
// Usage: node browser_solve.js URL [--no-js] [--wait-for TEXT]
// Prints one JSON line: {first_status, final_status, text, cookie, errors, elapsed_ms}.
//   With scripts: loads URL, expects the challenge to solve itself and the page to reload, and
//   waits (up to 60 s) for the body to contain TEXT (default "cleared").
//   --no-js: loads URL twice with JavaScript disabled and reports the statuses.
'use strict';
const { launchChromium } = require('../../js/chromium');

(async () => {
  const url = process.argv[2];
  const noJs = process.argv.includes('--no-js');
  const w = process.argv.indexOf('--wait-for');
  const waitFor = w > 0 ? process.argv[w + 1] : 'cleared';
  const browser = await launchChromium({ javaScriptEnabled: !noJs });
  const { context } = browser;
  const errors = [];
  const out = {};
  let code = 0;
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const started = Date.now();
    const first = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    out.first_status = first.status();
    if (noJs) {
      const again = await page.reload({ waitUntil: 'load', timeout: 20000 });
      out.final_status = again.status();
    } else {
      await page.waitForFunction(
          (t) => document.body && document.body.innerText.includes(t), waitFor,
          { timeout: 60000 });
      out.elapsed_ms = Date.now() - started;
    }
    out.text = await page.evaluate(() => document.body.innerText);
    const cookies = await context.cookies();
    out.cookie = cookies.find((c) => c.name === 'sg_clearance') || null;
  } catch (e) {
    out.error = String(e);
    code = 1;
  } finally {
    out.errors = errors;
    console.log(JSON.stringify(out));
    await browser.close();
    process.exit(code);
  }
})();
