// A published map (`atlas publish`) end to end: the default dataset plus synthetic sites served
// live by `atlas serve`, published into a folder served by a plain static file server
// (`python3 -m http.server`, which answers no range request) under a sub-path, and the page read
// in headless Chromium: it draws from its PMTiles archive, searches 石化, filters, keeps a
// permalink, opens a card, downloads — with the live server's counts for the same filters, no
// request to another host (not even to the live server), and no console error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, api, finishPage, launchBrowser, listIds, openPage, publishAndHost, renderedSites, settled, startServer,
} from './helpers.mjs';

const T = { timeout: 300_000 };
const BASE = '/kjcx/atlas/';
/** The live server (the same database) and the browser. */
const suite = { server: /** @type {any} */ (null), browser: /** @type {any} */ (null) };
/** The publication, hosted by a static file server. @type {any} */
let host = null;

before(async () => {
  suite.server = await startServer([], { synth: 3000 });
  suite.browser = await launchBrowser();
  host = await publishAndHost(suite.server.db, BASE);
});

after(async () => {
  if (host) await host.stop();
  if (suite.browser) await suite.browser.close();
  if (suite.server) await suite.server.stop();
});

/** Opens the published page at `path` (under BASE). */
const open = (path = '') => openPage(suite.browser, host.origin, BASE + path);
/** numberMatched of the live server for a query string. */
const matched = async (q = '') => (await api(suite.server.origin, `sites?limit=1${q ? `&${q}` : ''}`)).numberMatched;
const param = (page, k) => new URL(page.url()).searchParams.get(k);

/** The drawn sites after fitting to the results, and the live server's count in that view. */
async function drawnAndCounted(page, filterQ = '') {
  await page.click('#btn-fit');
  await settled(page);
  const bbox = await page.evaluate(() => window.atlas.map.getBounds().toArray().flat().join(','));
  return { drawn: await renderedSites(page), counted: await matched(`${filterQ ? `${filterQ}&` : ''}bbox=${bbox}`) };
}

test('the published map draws its archive with the live server counts, and no editing', T, async () => {
  const o = await open();
  const { page, requests } = o;
  assert.equal(await page.evaluate(() => document.documentElement.dataset.source), 'static');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.mapMode), 'tiles');
  const total = await matched();
  assert.equal(await page.textContent('#result-count'), `${total.toLocaleString('zh-CN')} 处站点`);
  const { drawn, counted } = await drawnAndCounted(page);
  assert.ok(drawn.clusters > 0, 'clusters are drawn');
  assert.equal(drawn.total, counted, 'the archive draws every located site in view once');
  assert.ok(requests.some((u) => u.endsWith('/data/sites.pmtiles')), 'tiles come from the archive');
  assert.ok(!requests.some((u) => /\/(api\/v1|tiles)\//.test(u)), 'nothing asks for an API');
  assert.ok(!requests.some((u) => u.includes('/js/edit/')), 'no staff code is loaded');
  for (const id of ['btn-signin', 'tab-match', 'staff-bar']) assert.equal(await page.isHidden(`#${id}`), true, `#${id} is absent`);
  const facets = await api(suite.server.origin, 'facets');
  for (const c of facets.facets.category) {
    assert.equal(await page.getAttribute(`#layer-toggles [for=layer-${c.id}] .count`, 'data-count'), String(c.count), `${c.id} count`);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'published-map.png') });
  await finishPage(o, host.origin);
});

test('search 石化, a filter, a permalink and a card, as the live server answers them', T, async () => {
  const o = await open();
  const { page } = o;
  await page.fill('#f-q', '石化');
  await page.press('#f-q', 'Enter');
  await settled(page);
  const live = await api(suite.server.origin, 'sites?q=%E7%9F%B3%E5%8C%96&limit=200');
  assert.ok(live.numberMatched > 0);
  assert.equal(await page.textContent('#result-count'), `${live.numberMatched.toLocaleString('zh-CN')} 处站点`);
  assert.deepEqual(await listIds(page), live.features.map((f) => f.id), 'the same sites in the same order');

  await page.click('#more-filters summary');
  await page.selectOption('#f-scope', 'local');
  await settled(page);
  const q = 'q=%E7%9F%B3%E5%8C%96&scope=local';
  const local = await api(suite.server.origin, `sites?${q}&limit=200`);
  assert.equal(await page.textContent('#result-count'), `${local.numberMatched.toLocaleString('zh-CN')} 处站点`);
  assert.deepEqual(await listIds(page), local.features.map((f) => f.id));
  const facets = await api(suite.server.origin, `facets?${q}`);
  for (const c of facets.facets.category) {
    assert.equal(await page.getAttribute(`#layer-toggles [for=layer-${c.id}] .count`, 'data-count'), String(c.count), `${c.id} count`);
  }
  const { drawn, counted } = await drawnAndCounted(page, q);
  assert.equal(drawn.total, counted, 'the filter draws its located sites');
  assert.equal(param(page, 'q'), '石化');
  assert.equal(param(page, 'scope'), 'local');

  // The permalink opens the same filter, list and card on a new page.
  const first = local.features[0];
  await page.click(`#row-${first.id}`);
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await page.getAttribute('#card', 'data-id'), first.id);
  assert.ok((await page.textContent('#card')).includes(first.properties.name_zh));
  const link = page.url();
  assert.ok(link.startsWith(host.origin + BASE));
  await finishPage(o, host.origin);
  const o2 = await openPage(suite.browser, host.origin, link.slice(host.origin.length));
  assert.equal(await o2.page.inputValue('#f-q'), '石化');
  assert.deepEqual(await listIds(o2.page), local.features.map((f) => f.id));
  await o2.page.waitForSelector('#card:not([hidden])');
  assert.equal(await o2.page.getAttribute('#card', 'data-id'), first.id);
  await finishPage(o2, host.origin);
});

test('a CQL2 link says a published map cannot apply it and shows the rest of the filter', T, async () => {
  const o = await open(`?scope=local&filter=${encodeURIComponent("chain = 'petrochemical'")}`);
  const { page } = o;
  const status = await page.textContent('#status-line');
  assert.match(status, /CQL2/, status);
  assert.ok(await page.evaluate(() => document.getElementById('status-line').classList.contains('error')));
  assert.equal(await page.isHidden('#cql-filter'), true, 'no CQL2 box on a published map');
  assert.equal(await page.textContent('#result-count'), `${(await matched('scope=local')).toLocaleString('zh-CN')} 处站点`);
  await finishPage(o, host.origin);
});

test('the chain view, the progress board and the downloads work from files', T, async () => {
  const o = await open('?chain=petrochemical');
  const { page } = o;
  assert.equal(await page.textContent('#result-count'), `${(await matched('chain=petrochemical')).toLocaleString('zh-CN')} 处站点`);
  await page.waitForSelector('#chain-view:not([hidden])');
  const analysis = await api(suite.server.origin, 'chains/petrochemical/analysis');
  const text = await page.textContent('#chain-view');
  for (const l of analysis.links) assert.ok(text.includes(l.name_zh), `the chain view lists ${l.name_zh}`);

  await page.click('#btn-indicators');
  await page.waitForSelector('#indicators .indicator-table tbody tr');
  await page.waitForSelector('#town-board-body table');
  await page.click('#indicators-close');

  await page.selectOption('#export-format', 'csv');
  const href = await page.getAttribute('#btn-export', 'href');
  assert.equal(href, 'downloads/atlas-sites.csv');
  const res = await fetch(new URL(href, page.url()));
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'a CSV with BOM');
  const lines = new TextDecoder().decode(bytes).trim().split('\n').length;
  assert.ok(lines > await matched(), 'every published site (and the header)');
  const about = await fetch(new URL('about.html', page.url()));
  assert.match(await about.text(), /2026-12-02/);
  await finishPage(o, host.origin);
});
