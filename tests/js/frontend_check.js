// Loads the coinestate frontend through the gateway in a real Chromium and prints what a visitor
// sees as JSON: {title, properties: [names], version, errors: [...]}. Usage:
//   node frontend_check.js URL [HOST_HEADER]
// Exits 1 when the page fails to load or render within 20 s.
const { launchChromium } = require('./chromium');

(async () => {
  const [url, host] = process.argv.slice(2);
  if (!url) {
    console.error('usage: node frontend_check.js URL [HOST_HEADER]');
    process.exit(2);
  }
  const browser = await launchChromium();
  const { context } = browser;
  const errors = [];
  let exitCode = 0;
  try {
    const page = await context.newPage();
    if (host) await page.setExtraHTTPHeaders({ 'X-Test-Host': host });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const resp = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await page.waitForSelector('[data-property]', { timeout: 20000 });
    const properties = await page.$$eval('[data-property]', (els) => els.map((e) => e.textContent.trim()));
    const version = await page.$eval('[data-api-version]', (e) => e.textContent.trim()).catch(() => '');
    console.log(JSON.stringify({ status: resp.status(), title: await page.title(), properties, version, errors }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e), errors }));
    exitCode = 1;
  } finally {
    await browser.close();
  }
  process.exit(exitCode);
})();
