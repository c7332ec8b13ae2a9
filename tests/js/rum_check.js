// Loads the coinestate frontend through the gateway in a real Chromium, lets rum.js send its
// homepage_load_time beacon, then clicks "Connect wallet" with an EIP-1193 wallet injected the way
// a wallet extension does (window.ethereum, answering eth_requestAccounts after `wallet_delay_ms`),
// and prints what went over the wire as JSON:
//   {status, cookie: "<sg_rel value>", beacons: [{body, status}], wallet: "<status text>", errors}
// Usage: node rum_check.js URL [WALLET_DELAY_MS]
// Exits 1 when the page or a beacon does not arrive within 20 s.
const { launchChromium } = require('./chromium');

(async () => {
  const [url, delayArg] = process.argv.slice(2);
  if (!url) {
    console.error('usage: node rum_check.js URL [WALLET_DELAY_MS]');
    process.exit(2);
  }
  const walletDelay = Number(delayArg || 150);
  const browser = await launchChromium();
  const { context } = browser;
  const errors = [];
  const beacons = [];
  let exitCode = 0;
  const isBeacon = (r) => new URL(r.url()).pathname === '/_shipgate/rum';
  const beaconWith = (name) => (resp) =>
    isBeacon(resp.request()) && (resp.request().postData() || '').includes('"' + name + '"');
  try {
    const page = await context.newPage();
    await page.addInitScript((delay) => {
      window.ethereum = {
        request: ({ method }) => new Promise((resolve, reject) => {
          if (method !== 'eth_requestAccounts') return reject(new Error('unsupported ' + method));
          setTimeout(() => resolve(['0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0']), delay);
        }),
      };
    }, walletDelay);
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (resp) => {
      if (isBeacon(resp.request())) {
        beacons.push({ body: resp.request().postData(), status: resp.status() });
      }
    });
    const loadBeacon = page.waitForResponse(beaconWith('homepage_load_time'), { timeout: 20000 });
    const resp = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await loadBeacon;
    const walletBeacon = page.waitForResponse(beaconWith('wallet_connection_time'), { timeout: 20000 });
    await page.click('#connect-wallet');
    await walletBeacon;
    const wallet = await page.$eval('[data-wallet]', (e) => e.textContent.trim());
    const cookie = (await context.cookies()).find((c) => c.name === 'sg_rel');
    console.log(JSON.stringify({
      status: resp.status(),
      cookie: cookie ? cookie.value : '',
      cookie_http_only: cookie ? cookie.httpOnly : false,
      beacons, wallet, errors,
    }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e), beacons, errors }));
    exitCode = 1;
  } finally {
    await browser.close();
  }
  process.exit(exitCode);
})();
