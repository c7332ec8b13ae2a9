// Runs the managed-challenge page's own script under node, as a browser would, and reports what
// it did. Usage: node solve.js PAGE.html [--protocol https:] [--tries N] [--hash INPUTS.json]
//   prints "cookie=<document.cookie assignment>" and "reloaded=1" once location.reload() runs,
//   or "gave_up=1" when the script stops without reloading;
//   with --hash, also "hash=<hex>" for each string in the JSON array, computed by the page's
//   sgSha256(sgUtf8(s)).
'use strict';
const fs = require('fs');
const vm = require('vm');

const args = process.argv.slice(2);
const html = fs.readFileSync(args[0], 'utf8');
let protocol = 'http:';
let tries = null;
let hashFile = null;
for (let i = 1; i < args.length; i += 2) {
  if (args[i] === '--protocol') protocol = args[i + 1];
  else if (args[i] === '--tries') tries = args[i + 1];
  else if (args[i] === '--hash') hashFile = args[i + 1];
}

const open = html.indexOf('<script>');
const close = html.indexOf('</script>', open);
if (open < 0 || close < 0 || html.indexOf('<script>', close) >= 0) {
  console.error('expected exactly one inline <script> in the page');
  process.exit(2);
}
const script = html.slice(open + '<script>'.length, close);

const storage = new Map();
if (tries !== null) storage.set('sg_tries', tries + ':' + Date.now());
let cookie = null;
let done;
const finished = new Promise((resolve) => { done = resolve; });
const sandbox = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  sessionStorage: {
    getItem: (k) => (storage.has(k) ? storage.get(k) : null),
    setItem: (k, v) => storage.set(k, String(v)),
    removeItem: (k) => storage.delete(k),
  },
  document: {
    set cookie(v) { cookie = v; },
    get cookie() { return cookie || ''; },
    getElementById: () => null,
  },
  location: { protocol, reload: () => done('reloaded') },
};
vm.createContext(sandbox);
vm.runInContext(script, sandbox, { filename: 'challenge-page.js' });

if (hashFile) {
  for (const s of JSON.parse(fs.readFileSync(hashFile, 'utf8'))) {
    console.log('hash=' + sandbox.sgHex(sandbox.sgSha256(sandbox.sgUtf8(s))));
  }
}
// The script either reloads or, after too many tries, stops: give it a bounded time to act.
const timer = setTimeout(() => done('gave_up'), 1000 * 60);
finished.then((how) => {
  clearTimeout(timer);
  if (cookie !== null) console.log('cookie=' + cookie);
  console.log(how === 'reloaded' ? 'reloaded=1' : 'gave_up=1');
  process.exit(0);
});
if (tries !== null && Number(tries) >= 3) {
  // The script returns at once without scheduling work; report after the event loop drains.
  setTimeout(() => done('gave_up'), 200);
}
