// The WAF's managed challenge in a real Chromium: opens URL (answered with the challenge page),
// lets the page's script solve the proof of work, set the sg_clearance cookie and reload, and
// waits until the page text contains EXPECT. Prints JSON:
//   {first_status, final_status, challenged, text, cookie, errors}
// Usage: node waf_challenge.js URL EXPECT
// Exits 1 when EXPECT does not show up within 60 s.
const { launchChromium } = require('./chromium');

(async () => {
  const [url, expect] = process.argv.slice(2);
  if (!url || !expect) {
    console.error('usage: node waf_challenge.js URL EXPECT');
    process.exit(2);
  }
  const browser = await launchChromium();
  const { context } = browser;
  const errors = [];
  const statuses = [];
  let exitCode = 0;
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
        statuses.push({ status: r.status(), challenge: r.headers()['x-shipgate-challenge'] || '' });
      }
    });
    await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await page.waitForFunction((want) => document.body && document.body.innerText.includes(want),
                               expect, { timeout: 60000, polling: 100 });
    const text = await page.evaluate(() => document.body.innerText);
    const cookies = await context.cookies();
    const clearance = cookies.find((c) => c.name === 'sg_clearance');
    console.log(JSON.stringify({
      first_status: statuses.length ? statuses[0].status : 0,
      final_status: statuses.length ? statuses[statuses.length - 1].status : 0,
      challenged: statuses.some((s) => s.challenge !== ''),
      navigations: statuses.length,
      text: text.slice(0, 2000),
      cookie: clearance ? clearance.value : '',
      errors,
    }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e), statuses, errors }));
    exitCode = 1;
  } finally {
    await browser.close();
  }
  process.exit(exitCode);
})();
