// A real OpenFeature client (@openfeature/server-sdk with @openfeature/ofrep-provider) against
// shipgate's OFREP endpoint. Prints one JSON object on stdout.
//   node ofrep_check.js BASE_URL evaluate
//   node ofrep_check.js BASE_URL wait KEY EXPECTED_STRING TIMEOUT_MS
'use strict';
const { OpenFeature } = require('@openfeature/server-sdk');
const { OFREPProvider } = require('@openfeature/ofrep-provider');

const [baseUrl, mode, ...rest] = process.argv.slice(2);

function pick(d) {
  const out = { value: d.value, reason: d.reason, variant: d.variant };
  if (d.errorCode) out.errorCode = d.errorCode;
  if (d.flagMetadata && Object.keys(d.flagMetadata).length) out.metadata = d.flagMetadata;
  return out;
}

async function evaluate(client) {
  const staff = { targetingKey: 'u-1', email: 'ana@coinestate.io' };
  const guest = { targetingKey: 'u-2', email: 'bob@example.com' };
  const out = {};
  out.checkoutStaff = pick(await client.getBooleanDetails('new-checkout', false, staff));
  out.checkoutGuest = pick(await client.getBooleanDetails('new-checkout', true, guest));
  out.banner = pick(await client.getStringDetails('banner-text', 'code default', guest));
  out.listingsPro = pick(await client.getNumberDetails('max-listings', 0, { targetingKey: 'p', plan: 'pro' }));
  out.listingsFree = pick(await client.getNumberDetails('max-listings', 0, { targetingKey: 'f' }));
  out.themeNew = pick(await client.getObjectDetails('theme', {}, { targetingKey: 't', appVersion: '2.1.0' }));
  out.themeOld = pick(await client.getObjectDetails('theme', {}, { targetingKey: 't', appVersion: '1.9.9' }));
  out.missing = pick(await client.getBooleanDetails('no-such-flag', true, guest));
  out.mismatch = pick(await client.getNumberDetails('new-checkout', 7, staff));
  out.noTargetingKey = pick(await client.getStringDetails('wallet-connect-v2', 'none', {}));
  out.disabled = pick(await client.getBooleanDetails('legacy-search', false, guest));
  const split = {};
  for (let i = 0; i < 1000; i++) {
    const v = await client.getStringValue('wallet-connect-v2', 'none', { targetingKey: `user-${i}` });
    split[v] = (split[v] || 0) + 1;
  }
  out.split = split;
  // The bulk form, with its ETag.
  const body = JSON.stringify({ context: { targetingKey: 'u-2' } });
  const headers = { 'Content-Type': 'application/json' };
  const first = await fetch(`${baseUrl}/ofrep/v1/evaluate/flags`, { method: 'POST', headers, body });
  const etag = first.headers.get('etag');
  const bulk = await first.json();
  const again = await fetch(`${baseUrl}/ofrep/v1/evaluate/flags`,
    { method: 'POST', headers: { ...headers, 'If-None-Match': etag }, body });
  out.bulk = { status: first.status, etag, keys: bulk.flags.map((f) => f.key), again: again.status };
  return out;
}

async function waitFor(client, key, expected, timeoutMs) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeoutMs) {
    last = await client.getStringValue(key, 'code default', { targetingKey: 'w' });
    if (last === expected) return { seen: true, last, ms: Date.now() - start };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { seen: false, last, ms: Date.now() - start };
}

(async () => {
  try {
    await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl }));
    const client = OpenFeature.getClient();
    let out;
    if (mode === 'evaluate') out = await evaluate(client);
    else if (mode === 'wait') out = await waitFor(client, rest[0], rest[1], Number(rest[2]));
    else throw new Error(`unknown mode ${mode}`);
    process.stdout.write(JSON.stringify(out) + '\n');
    await OpenFeature.close();
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) }) + '\n');
    process.exitCode = 1;
  }
})();
