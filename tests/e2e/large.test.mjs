// The page at a catalogue's real size: a real `atlas serve` on the default dataset plus 50,000
// synthetic sites (crates/store/examples/synth_db.rs; E2E_LARGE_N changes the number), which the
// page draws from the server's vector tiles. The page's total, the clusters drawn and a cluster's
// list agree with the API; a search narrows the tiles and the total; the list pages by scrolling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, settled, api, renderedSites, listIds, e2eSuite, renderedOnPage,
} from './helpers.mjs';

const N = Number(process.env.E2E_LARGE_N || 50_000);
const T = { timeout: 300_000 };
const suite = e2eSuite([], { synth: N, users: [{ name: 'editor', role: 'editor' }] }, { signedInAs: 'editor' });
const { open, finish } = suite;

/** numberMatched of the API for a query string. */
const matched = async (q = '') => (await api(suite.server.origin, `sites?limit=1${q ? `&${q}` : ''}`)).numberMatched;

/** Fits the map to the results, then reads what is drawn and the API's count for the view's box. */
async function drawnAndCounted(page, filterQ = '') {
  await page.click('#btn-fit');
  await settled(page);
  const bbox = await page.evaluate(() => window.atlas.map.getBounds().toArray().flat().join(','));
  return { drawn: await renderedSites(page), counted: await matched(`${filterQ ? `${filterQ}&` : ''}bbox=${bbox}`) };
}

/**
 * Scrolls the list's end into view until it has no more to load (at most `max` times); after each
 * scroll waits for the rows to grow (the page loads them when its end comes into view).
 */
async function scrollListToEnd(page, max) {
  for (let i = 0; i < max; i++) {
    const rows = await page.evaluate(() => {
      const b = document.getElementById('btn-more');
      if (b.hidden) return -1;
      b.scrollIntoView({ block: 'end' });
      return document.querySelectorAll('#list button.row').length;
    });
    if (rows < 0) return;
    await page.waitForFunction((n) => document.querySelectorAll('#list button.row').length > n, rows, { timeout: 30_000 });
    await settled(page);
  }
}

test('the page draws a large catalogue from tiles, with the true total and no 10,000 cap', T, async () => {
  const o = await open('/');
  const { page } = o;
  const all = await matched();
  assert.ok(all >= N, `the catalogue holds the synthetic sites (${all})`);
  const got = await page.evaluate(() => ({
    mode: document.documentElement.dataset.mapMode,
    source: window.atlas.map.getSource('sites').type,
    matched: window.atlas.state.matched,
    count: document.getElementById('result-count').textContent,
    status: document.getElementById('status-line').textContent,
    rows: document.querySelectorAll('#list button.row').length,
    tray: Number(document.getElementById('tray').dataset.count),
    trayRows: document.querySelectorAll('#tray-list button.row').length,
  }));
  assert.equal(got.mode, 'tiles');
  assert.equal(got.source, 'vector');
  assert.equal(got.matched, all, "the page's total is the API's numberMatched");
  assert.ok(got.count.replace(/[,，\s]/g, '').includes(String(all)), `the count says ${all}: ${got.count}`);
  assert.equal(got.status, '', 'no "first 10,000" notice');
  assert.equal(got.rows, 200, 'the list starts with one page');
  assert.equal(got.tray, await matched('precision=unknown'), 'the tray counts every site without a location');
  assert.ok(got.trayRows <= 200, 'the tray lists a page at a time');
  assert.ok(o.requests.some((u) => u.includes('/tiles/sites/')), 'the map asked for tiles');
  assert.ok(!o.requests.some((u) => /[?&]limit=10000/.test(u)), 'nothing fetches 10,000 sites at once');
  await page.screenshot({ path: join(ARTIFACTS, 'large-tiles.png') });
  await finish(o);
});

test("the clusters drawn add up to the API's count for the filter and the view", T, async () => {
  const o = await open('/');
  const { drawn, counted } = await drawnAndCounted(o.page);
  assert.ok(drawn.clusters > 0, 'clusters are drawn');
  assert.equal(drawn.total, counted, 'sum of cluster counts and single sites = numberMatched of the view');
  assert.equal(counted, (await matched()) - (await matched('precision=unknown')), 'the view holds every located site');
  await finish(o);
});

test("a township's clusters, zoomed to it, add up to the API's count; a site opens its card", T, async () => {
  const facets = await api(suite.server.origin, 'facets');
  const town = [...facets.facets.town].sort((a, b) => b.count - a.count)[0].id;
  const o = await open(`/?town=${town}`);
  const { page } = o;
  const { drawn, counted } = await drawnAndCounted(page, `town=${town}`);
  assert.ok(drawn.clusters > 5, `many clusters are drawn (${drawn.clusters})`);
  assert.equal(drawn.total, counted, 'sum of cluster counts and single sites = numberMatched of the view');
  assert.equal(counted, (await matched(`town=${town}`)) - (await matched(`town=${town}&precision=unknown`)));
  // Close in, a site is a symbol of its own: a click opens its card.
  const site = (await api(suite.server.origin, `sites?town=${town}&precision=building&limit=1`)).features[0];
  await page.evaluate((c) => window.atlas.map.jumpTo({ center: c, zoom: 17 }), site.geometry.coordinates);
  await settled(page);
  const pt = (await renderedOnPage(page, ['site-points'])).find((x) => x.properties.id === site.properties.id);
  assert.ok(pt, 'the site is drawn as a symbol of its own');
  assert.equal(pt.properties.approximate, false);
  await page.mouse.click(pt.x, pt.y);
  await settled(page);
  assert.equal(await page.evaluate(() => window.atlas.state.site), site.properties.id, 'the click selects the site');
  assert.equal(await page.isHidden('#card'), false, 'its card is open');
  await finish(o);
});

test('a search narrows the tiles and the total', T, async () => {
  const o = await open('/');
  const { page } = o;
  const before = await matched();
  await page.fill('#f-q', '高岭土');
  await page.press('#f-q', 'Enter');
  await settled(page);
  const n = await matched('q=%E9%AB%98%E5%B2%AD%E5%9C%9F');
  assert.ok(n > 0 && n < before, `the search narrows (${n} of ${before})`);
  assert.equal(await page.evaluate(() => window.atlas.state.matched), n);
  assert.ok(o.requests.some((u) => u.includes('/tiles/sites/') && u.includes('q=%E9%AB%98%E5%B2%AD%E5%9C%9F')), 'the tiles carry the search');
  const { drawn, counted } = await drawnAndCounted(page, 'q=%E9%AB%98%E5%B2%AD%E5%9C%9F');
  assert.equal(drawn.total, counted, 'the clusters drawn add up to the search in view');
  assert.equal(counted, n - (await matched('q=%E9%AB%98%E5%B2%AD%E5%9C%9F&precision=unknown')));
  await finish(o);
});

test('the list pages through every result of a filter by scrolling, in the API order', T, async () => {
  const q = 'q=%E9%AB%98%E5%B2%AD%E5%9C%9F'; // 高岭土: a few thousand at most
  const o = await open(`/?${q}`);
  const { page } = o;
  const expected = await api(suite.server.origin, `sites?${q}&limit=10000`);
  assert.ok(expected.numberMatched > 400, 'more than two pages');
  await scrollListToEnd(page, 100);
  const ids = await listIds(page);
  assert.equal(ids.length, expected.numberMatched, 'every site is listed');
  assert.deepEqual(ids, expected.features.map((f) => f.properties.id));
  assert.equal(await page.evaluate(() => document.getElementById('btn-more').hidden), true);
  await finish(o);
});

test('a cluster of the tiles opens its sites through the API, a page at a time', T, async () => {
  const o = await open('/');
  const { page } = o;
  await page.click('#btn-fit');
  await settled(page);
  const [largest] = (await renderedOnPage(page, ['site-clusters']))
    .filter((f) => f.properties.count > 16)
    .sort((a, b) => b.properties.count - a.properties.count);
  const target = { x: largest.x, y: largest.y, count: largest.properties.count, bbox: largest.properties.bbox };
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('.cluster-box');
  await settled(page);
  const box = await page.evaluate(() => ({
    count: Number(document.querySelector('.cluster-box').dataset.count),
    rows: document.querySelectorAll('.cluster-list button.row').length,
    more: !document.querySelector('.cluster-more').hidden,
  }));
  const inBox = await matched(`bbox=${target.bbox}`);
  assert.equal(box.count, target.count, 'the title counts the cluster');
  assert.ok(inBox >= target.count, 'the box holds the cluster');
  assert.equal(box.rows, Math.min(200, inBox), 'the first page of its box');
  if (box.more) {
    await page.click('.cluster-more');
    await settled(page);
    const rows = await page.$$eval('.cluster-list button.row', (r) => r.length);
    assert.equal(rows, Math.min(400, inBox), '"more" adds the next page');
  }
  // Close in, a small cluster names its sites: the list holds exactly them.
  await page.click('.maplibregl-popup-close-button');
  await page.waitForSelector('.cluster-box', { state: 'detached' });
  await page.evaluate(() => window.atlas.map.jumpTo({ center: [110.92, 21.66], zoom: 15 }));
  await settled(page);
  const small = (await renderedOnPage(page, ['site-clusters'])).find((f) => f.properties.count <= 16 && f.properties.ids);
  assert.ok(small, 'a small cluster is drawn at zoom 15');
  await page.mouse.click(small.x, small.y);
  await page.waitForSelector('.cluster-box');
  await settled(page);
  const listed = await page.$$eval('.cluster-list button.row', (r) => r.map((x) => x.dataset.id));
  assert.deepEqual([...listed].sort(), small.properties.ids.split(',').sort(), 'the list holds the cluster\'s sites');
  await finish(o);
});

test("an editor's delete is gone from the tiles at once: the clusters count one site less", T, async () => {
  const facets = await api(suite.server.origin, 'facets');
  const town = [...facets.facets.town].sort((a, b) => b.count - a.count)[1].id;
  const site = (await api(suite.server.origin, `sites?town=${town}&precision=building&limit=1`)).features[0];
  const id = site.properties.id;
  const o = await open(`/?town=${town}&site=${id}`, { signedIn: true });
  const { page } = o;
  await page.waitForSelector(`#card[data-id="${id}"]:not([hidden])`);
  const before = await drawnAndCounted(page, `town=${town}`);
  assert.equal(before.drawn.total, before.counted);
  await page.click('#card-delete');
  await page.waitForSelector('dialog.confirm[open]');
  await page.click('dialog.confirm .confirm-yes');
  await page.waitForSelector('#card', { state: 'hidden' });
  await settled(page);
  const after = await drawnAndCounted(page, `town=${town}`);
  assert.equal(after.counted, before.counted - 1, 'the API counts one less');
  assert.equal(after.drawn.total, after.counted, 'the tiles drawn count one less too');
  await finish(o);
});

test('the tray and the worklist show their true counts and load a page at a time', T, async () => {
  const o = await open('/', { signedIn: true });
  const { page } = o;
  const unknown = await matched('precision=unknown');
  const rows = (sel) => page.$$eval(sel, (r) => r.length);
  assert.equal(Number(await page.getAttribute('#tray', 'data-count')), unknown);
  assert.equal(await rows('#tray-list button.row'), 200);
  await page.click('#tray summary');
  await page.click('#tray-more');
  await settled(page);
  assert.equal(await rows('#tray-list button.row'), 400, '"more" adds the next page');
  const trayIds = await page.$$eval('#tray-list button.row', (r) => r.map((x) => x.dataset.id));
  const api400 = await api(suite.server.origin, 'sites?precision=unknown&limit=400');
  assert.deepEqual(trayIds, api400.features.map((f) => f.properties.id), 'in the API order');

  await page.click('#btn-worklist');
  await page.waitForSelector('#worklist-list button.row');
  await settled(page);
  const work = await matched('located=false');
  assert.equal(await page.getAttribute('#worklist-counter', 'data-located'), String((await matched()) - work));
  assert.equal(await rows('#worklist-list button.row'), 200);
  await page.click('#worklist-more');
  await settled(page);
  assert.equal(await rows('#worklist-list button.row'), 400);
  await finish(o);
});
