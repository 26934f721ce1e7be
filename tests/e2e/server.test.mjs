// The page's files as the server gives them, and the online base map chosen by the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ARTIFACTS, HERE, startServer, launchBrowser, settled, openPage, foreignRequests } from './helpers.mjs';

const T = { timeout: 180_000 };
let offline;
let tianditu;
let withPark;
let browser;

before(async () => {
  [offline, tianditu, withPark] = await Promise.all([
    startServer(),
    startServer(['--basemap', 'tianditu', '--tianditu-key', 'e2etestkey0123']),
    startServer([], { imports: [join(HERE, 'fixtures', 'park.csv')] }),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  for (const s of [offline, tianditu, withPark]) if (s) await s.stop();
});

test('the page, its modules and the vendored library are served from the binary with the right headers', T, async () => {
  const page = await fetch(`${offline.origin}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /connect-src 'self';/, 'offline: the page may only talk to its own origin');
  assert.match(csp, /img-src 'self' data: blob:;/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="js\/main\.js"><\/script>/);

  for (const [path, type] of [
    ['/js/main.js', 'text/javascript; charset=utf-8'],
    ['/vendor/maplibre-gl/maplibre-gl-worker.mjs?v=6.17.0', 'text/javascript; charset=utf-8'],
    ['/css/atlas.css', 'text/css; charset=utf-8'],
    ['/style/atlas-style.json', 'application/json'],
  ]) {
    const res = await fetch(offline.origin + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), type, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    const etag = res.headers.get('etag');
    assert.ok(etag, `${path} has an ETag`);
    assert.equal(res.headers.get('cache-control'), path.includes('?v=') ? 'public, max-age=31536000, immutable' : 'no-cache', path);
    const again = await fetch(offline.origin + path, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, `${path} revalidates to 304`);
  }
  const missing = await fetch(`${offline.origin}/js/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found', 'unknown paths keep the JSON error body');

  const config = await (await fetch(`${offline.origin}/config.json`)).json();
  assert.equal(config.basemap, null, 'offline by default');
});

test('with --basemap tianditu the page draws Tianditu vec_w and cva_w tiles under the sites', T, async () => {
  const config = await (await fetch(`${tianditu.origin}/config.json`)).json();
  assert.equal(config.basemap.kind, 'tianditu');
  const csp = (await fetch(`${tianditu.origin}/`)).headers.get('content-security-policy');
  assert.match(csp, /img-src 'self' data: blob: https:\/\/t0\.tianditu\.gov\.cn/);

  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const tiles = [];
  // No request may really leave the machine: answer every Tianditu tile here with a PNG.
  await context.route(/^https:\/\/t[0-7]\.tianditu\.gov\.cn\//, (route) => {
    tiles.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'image/png', body: tilePng(route.request().url().includes('LAYER=cva')) });
  });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${tianditu.origin}/`);
  await settled(page);
  assert.ok(tiles.some((u) => u.includes('/vec_w/') && u.includes('tk=e2etestkey0123')), 'vector tiles requested with the key');
  assert.ok(tiles.some((u) => u.includes('/cva_w/')), 'annotation tiles requested');
  const order = await page.evaluate(() => window.atlas.map.getStyle().layers.map((l) => l.id));
  assert.ok(order.indexOf('basemap-0') < order.indexOf('district-line') && order.indexOf('basemap-1') < order.indexOf('site-points'));
  assert.deepEqual(problems, []);
  await page.screenshot({ path: join(ARTIFACTS, 'basemap-tianditu-stub.png') });
  await context.close();
});

test('a park with a known outline is drawn as a polygon with its marker', T, async () => {
  const o = await openPage(browser, withPark.origin, '/?q=%E6%B5%8B%E8%AF%95%E5%9B%AD%E5%8C%BA&map=13/21.71/110.915');
  const { page } = o;
  const drawn = await page.evaluate(() => {
    const map = window.atlas.map;
    return {
      areas: map.queryRenderedFeatures({ layers: ['site-area-fill'] }).map((f) => f.properties.id),
      markers: map.queryRenderedFeatures({ layers: ['site-points'] }).map((f) => f.properties.id),
    };
  });
  assert.ok(drawn.areas.includes('e2e-test-park'), 'the outline is drawn');
  assert.deepEqual(drawn.markers, ['e2e-test-park'], 'and one marker (its representative point)');
  await page.click('#row-e2e-test-park');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await page.isVisible('#card .approx-note'), false, 'a surveyed outline is not approximate');
  await page.screenshot({ path: join(ARTIFACTS, 'park-polygon.png') });
  assert.deepEqual(foreignRequests(o.requests, withPark.origin), []);
  assert.deepEqual(o.problems, []);
  await o.context.close();
});

/** A 256×256 PNG tile (solid colour), made without any image library. */
function tilePng(annotation) {
  const w = 256;
  const raw = Buffer.alloc((w * 4 + 1) * w);
  for (let y = 0; y < w; y++) {
    const row = y * (w * 4 + 1);
    for (let x = 0; x < w; x++) {
      const i = row + 1 + x * 4;
      const grid = x % 64 === 0 || y % 64 === 0;
      raw[i] = annotation ? 0 : grid ? 200 : 236;
      raw[i + 1] = annotation ? 0 : grid ? 214 : 240;
      raw[i + 2] = annotation ? 0 : grid ? 200 : 230;
      raw[i + 3] = annotation ? 0 : 255;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
