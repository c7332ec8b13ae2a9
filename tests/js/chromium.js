// The Chromium every browser test drives: Debian's /usr/bin/chromium (or $CHROMIUM) through
// playwright-core, headless, as root-safe flags require, in a fresh profile directory.
//   const browser = await launchChromium();  // { context, close() }; launchChromium(options)
//                                            // adds playwright context options
//   ... browser.context.newPage() ...
//   await browser.close();                   // closes Chromium and removes the profile
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function launchChromium(options = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
           '--disable-component-update', '--disable-sync', '--disable-quic'],
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { launchChromium };
