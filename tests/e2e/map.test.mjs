// The map page end to end: a real `atlas serve` (fresh database, default dataset) and a real
// headless Chromium. Every test also proves that the page asked nothing of another host and
// logged no error or warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, settled, api, renderedSiteCount, listIds, parseCsv, e2eSuite, renderedOnPage,
  openIndicators,
} from './helpers.mjs';

const T = { timeout: 180_000 };
const suite = e2eSuite();
const { open, finish } = suite;

const ids = (fc) => fc.features.map((f) => f.id);
/** How many of a FeatureCollection's sites the map can draw (a site of unknown location has `geometry: null`). */
const located = (fc) => fc.features.filter((f) => f.geometry !== null).length;
const sorted = (a) => [...a].sort();
const param = (page, k) => new URL(page.url()).searchParams.get(k);

test('the map renders the offline base map and exactly the sites the API counts', T, async () => {
  const o = await open('/');
  const { page } = o;
  const info = await page.evaluate(() => {
    const map = window.atlas.map;
    const probe = document.createElement('canvas');
    probe.width = 240;
    probe.height = 160;
    const ctx = probe.getContext('2d');
    ctx.drawImage(map.getCanvas(), 0, 0, probe.width, probe.height);
    const d = ctx.getImageData(0, 0, probe.width, probe.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return {
      loaded: map.loaded(),
      colours: colours.size,
      townLabels: map.queryRenderedFeatures({ layers: ['town-label'] }).length,
      district: map.querySourceFeatures('district').length,
      context: map.querySourceFeatures('context').length,
      clusters: map.queryRenderedFeatures({ layers: ['site-clusters'] }).length,
    };
  });
  assert.ok(info.loaded, 'map.loaded()');
  assert.ok(info.colours > 30, `the canvas is not blank (${info.colours} colours)`);
  assert.ok(info.townLabels >= 8, `township labels are drawn (${info.townLabels})`);
  assert.ok(info.district > 0 && info.context > 0, 'district boundary and Maoming context are drawn');
  assert.ok(info.clusters > 0, 'dense sites are clustered');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.mapMode), 'geojson', 'a small catalogue is clustered in the browser');
  await page.screenshot({ path: join(ARTIFACTS, 'map-desktop.png') });

  const all = await api(suite.server.origin, 'sites?limit=10000');
  assert.equal(await page.textContent('#result-count'), `${all.numberMatched} 处站点`);
  assert.deepEqual(await listIds(page), ids(all), 'the list holds every site, in API order');
  const facets = await api(suite.server.origin, 'facets');
  for (const c of facets.facets.category) {
    assert.equal(await page.getAttribute(`#layer-toggles [for=layer-${c.id}] .count`, 'data-count'), String(c.count), `${c.id} toggle count`);
  }
  assert.equal(await renderedSiteCount(page), located(all), 'sum of clusters and points = the located sites of numberMatched');
  await finish(o);
});

test('toggling a category and choosing a chain change both the map and the list', T, async () => {
  const o = await open('/');
  const { page } = o;
  assert.equal(await page.getAttribute('html', 'data-state'), 'idle', 'the loaded page says it is idle');
  await page.evaluate(() => {
    window.nextIdle = new Promise((r) => window.addEventListener('atlas:idle', () => r(document.documentElement.dataset.state), { once: true }));
  });
  await page.uncheck('#layer-carrier_platform');
  assert.equal(await page.evaluate(() => window.nextIdle), 'idle', 'after the new filter is shown the page dispatches atlas:idle');
  await settled(page);
  assert.equal(param(page, 'category'), 'innovation_resource,key_enterprise');
  const noCarriers = await api(suite.server.origin, 'sites?category=innovation_resource,key_enterprise&limit=10000');
  assert.ok(noCarriers.numberMatched < 53);
  assert.deepEqual(await listIds(page), ids(noCarriers));
  assert.ok(noCarriers.features.every((f) => f.properties.category !== 'carrier_platform'));
  assert.equal(await renderedSiteCount(page), located(noCarriers));

  const chainText = await page.$eval('#f-chain option[value=petrochemical]', (el) => el.textContent);
  const facets = await api(suite.server.origin, 'facets?category=innovation_resource,key_enterprise');
  const petro = facets.facets.chain.find((c) => c.id === 'petrochemical');
  assert.ok(chainText.includes(`（${petro.count}）`), `the chain option shows its facet count: ${chainText}`);

  await page.selectOption('#f-chain', 'petrochemical');
  await settled(page);
  assert.equal(param(page, 'chain'), 'petrochemical');
  const petroSites = await api(suite.server.origin, 'sites?category=innovation_resource,key_enterprise&chain=petrochemical&limit=10000');
  assert.ok(petroSites.numberMatched > 0 && petroSites.numberMatched < noCarriers.numberMatched);
  assert.deepEqual(await listIds(page), ids(petroSites));
  assert.equal(await renderedSiteCount(page), located(petroSites));
  assert.equal(await page.isEnabled('#f-link'), true, 'links of the chosen chain can be chosen');
  const linkOptions = await page.$$eval('#f-link option', (os) => os.map((x) => x.value).filter(Boolean));
  const chains = await api(suite.server.origin, 'chains');
  const petroLinks = chains.chains.find((c) => c.id === 'petrochemical').links.map((l) => l.id);
  assert.deepEqual(linkOptions, petroLinks, 'every link of the chain is offered (a link without sites is a gap)');

  await page.check('#legend input[value=chain]');
  await settled(page);
  assert.equal(param(page, 'color'), 'chain');
  await page.screenshot({ path: join(ARTIFACTS, 'map-chain-filter.png') });
  await finish(o);
});

test('a two-character Chinese search (石化) finds the right sites', T, async () => {
  const o = await open('/');
  const { page } = o;
  await page.fill('#f-q', '石化');
  await page.press('#f-q', 'Enter');
  await settled(page);
  assert.equal(param(page, 'q'), '石化');
  // Independently of the search index: every site whose name, address or notes hold the word.
  const all = await api(suite.server.origin, 'sites?limit=10000');
  const found = all.features
    .filter((f) => ['name_zh', 'name_en', 'address', 'notes'].some((k) => String(f.properties[k] || '').includes('石化')));
  const expected = found.map((f) => f.id);
  assert.ok(expected.length >= 5);
  assert.deepEqual(sorted(await listIds(page)), sorted(expected));
  assert.ok((await listIds(page)).includes('maonan-petrochemical-park'));
  assert.equal(await renderedSiteCount(page), located({ features: found }));
  await finish(o);
});

test('a permalink restores filters, view and selected site; back and forward work', T, async () => {
  const o = await open('/');
  const { page } = o;
  await page.selectOption('#f-chain', 'petrochemical');
  await settled(page);
  const chainOnly = await listIds(page);
  await page.fill('#f-q', '石化');
  await page.press('#f-q', 'Enter');
  await settled(page);
  const searched = await listIds(page);
  await page.click('#row-maonan-petrochemical-park');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await page.getAttribute('#card', 'data-id'), 'maonan-petrochemical-park');
  assert.equal(await page.getAttribute('#row-maonan-petrochemical-park', 'aria-current'), 'true');
  await settled(page); // the fly-to
  await page.evaluate(() => new Promise((r) => {
    window.atlas.map.once('moveend', r);
    window.atlas.map.jumpTo({ center: [110.91, 21.69], zoom: 12.5 });
  }));
  const link = page.url();
  assert.equal(param(page, 'site'), 'maonan-petrochemical-park');
  assert.equal(param(page, 'map'), '12.50/21.69000/110.91000');

  const o2 = await open(link.slice(suite.server.origin.length));
  const p2 = o2.page;
  assert.equal(await p2.inputValue('#f-chain'), 'petrochemical');
  assert.equal(await p2.inputValue('#f-q'), '石化');
  assert.deepEqual(await listIds(p2), searched);
  await p2.waitForSelector('#card:not([hidden])');
  assert.equal(await p2.getAttribute('#card', 'data-id'), 'maonan-petrochemical-park');
  const view = await p2.evaluate(() => {
    const m = window.atlas.map;
    return { zoom: m.getZoom(), lat: m.getCenter().lat, lon: m.getCenter().lng };
  });
  assert.ok(Math.abs(view.zoom - 12.5) < 0.01 && Math.abs(view.lat - 21.69) < 1e-4 && Math.abs(view.lon - 110.91) < 1e-4, JSON.stringify(view));
  await p2.screenshot({ path: join(ARTIFACTS, 'permalink-card.png') });
  await finish(o2);

  await page.goBack();
  await settled(page);
  assert.equal(param(page, 'site'), null);
  assert.equal(await page.isHidden('#card'), true, 'back closes the card');
  await page.goBack();
  await settled(page);
  assert.equal(await page.inputValue('#f-q'), '');
  assert.deepEqual(await listIds(page), chainOnly, 'back restores the chain-only list');
  await page.goForward();
  await settled(page);
  assert.equal(await page.inputValue('#f-q'), '石化');
  assert.deepEqual(await listIds(page), searched, 'forward restores the search');
  await finish(o);
});

test('a CQL2 filter in the URL or the advanced box filters the map, list and export like the API', T, async () => {
  const cql = "chain = 'petrochemical' AND status = 'operating'";
  const o = await open(`/?filter=${encodeURIComponent(cql)}`);
  const { page } = o;
  const live = await api(suite.server.origin, `sites?limit=10000&filter=${encodeURIComponent(cql)}`);
  const byFlags = await api(suite.server.origin, 'sites?limit=10000&chain=petrochemical&status=operating');
  assert.ok(live.numberMatched > 0 && live.numberMatched < (await api(suite.server.origin, 'sites?limit=1')).numberMatched);
  assert.deepEqual(ids(live), ids(byFlags), 'the CQL2 text means what the flags mean');
  assert.equal(await page.evaluate(() => document.getElementById('cql-filter').open), true, 'the box is open on a CQL2 link');
  assert.equal(await page.inputValue('#f-cql'), cql);
  assert.equal(await page.textContent('#cql-active'), '1');
  assert.equal(await page.textContent('#result-count'), `${live.numberMatched} 处站点`);
  assert.deepEqual(await listIds(page), ids(live));
  assert.equal(await renderedSiteCount(page), located(live));
  const href = new URL(await page.getAttribute('#btn-export', 'href'), suite.server.origin);
  assert.equal(href.searchParams.get('filter'), cql, 'the export carries the CQL2 filter');

  // Typed into the box (Ctrl+Enter applies it) and combined with a select.
  const town = "name_zh LIKE '%石化%' OR kind IN ('university', 'research_institute')";
  await page.fill('#f-cql', town);
  await page.press('#f-cql', 'Control+Enter');
  await settled(page);
  assert.equal(param(page, 'filter'), town);
  const typed = await api(suite.server.origin, `sites?limit=10000&filter=${encodeURIComponent(town)}`);
  assert.ok(typed.numberMatched > 0);
  assert.deepEqual(await listIds(page), ids(typed));

  // A malformed expression: the server's message, nothing drawn from a stale answer.
  await page.fill('#f-cql', "chain = 'petrochemical' AND");
  await page.click('#btn-cql');
  await page.waitForFunction(() => document.getElementById('status-line').classList.contains('error'));
  const status = await page.textContent('#status-line');
  assert.match(status, /filter/i, status);

  await page.click('#btn-reset');
  await settled(page);
  assert.equal(param(page, 'filter'), null);
  assert.equal(await page.inputValue('#f-cql'), '');
  assert.equal(await page.textContent('#cql-active'), '');
  await finish(o, ['sites', 'facets', 'divisions/counts', 'chains'].map((route) => ({ status: 400, route })));
});

test('export downloads exactly the current filter (CSV rows, XLSX by default)', T, async () => {
  const o = await open('/?chain=petrochemical&status=operating');
  const { page } = o;
  const expected = await api(suite.server.origin, 'sites?chain=petrochemical&status=operating&limit=10000');
  assert.equal(await page.inputValue('#export-format'), 'xlsx', 'XLSX is the default');
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  assert.equal(await xlsx.failure(), null, 'the XLSX download completes');
  assert.match(xlsx.suggestedFilename(), /\.xlsx$/);
  const xlsxPath = join(ARTIFACTS, 'export.xlsx');
  await xlsx.saveAs(xlsxPath);
  assert.equal(readFileSync(xlsxPath).subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');

  // The second format from a fresh page load.
  await page.reload();
  await settled(page);
  await page.selectOption('#export-format', 'csv');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  assert.match(csv.suggestedFilename(), /\.csv$/);
  const csvPath = join(ARTIFACTS, 'export.csv');
  await csv.saveAs(csvPath);
  const bytes = readFileSync(csvPath);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
  const rows = parseCsv(bytes.toString('utf8')).filter((r) => r.some((c) => c !== ''));
  const header = rows[0];
  assert.equal(header[0], '编号', 'Chinese headers in the Chinese UI');
  const data = rows.slice(1);
  assert.equal(data.length, expected.numberMatched, 'one row per filtered site');
  assert.deepEqual(sorted(data.map((r) => r[0])), sorted(ids(expected)));
  const chainCol = header.indexOf('产业链');
  assert.ok(data.every((r) => r[chainCol].includes('petrochemical')), 'every row is on the chain');

  // GeoPackage, for QGIS and ArcGIS (a short label: the export bar fits a 360 px screen).
  assert.equal(await page.textContent('#export-format option[value="gpkg"]'), 'GeoPackage');
  await page.selectOption('#export-format', 'gpkg');
  assert.match(await page.getAttribute('#btn-export', 'href'), /format=gpkg.*chain=petrochemical/);
  const [gpkg] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  assert.equal(await gpkg.failure(), null, 'the GeoPackage download completes');
  assert.match(gpkg.suggestedFilename(), /\.gpkg$/);
  const gpkgPath = join(ARTIFACTS, 'export.gpkg');
  await gpkg.saveAs(gpkgPath);
  const db = readFileSync(gpkgPath);
  assert.equal(db.subarray(0, 16).toString('latin1'), 'SQLite format 3\0', 'an SQLite file');
  assert.equal(db.subarray(68, 72).toString('latin1'), 'GPKG', 'application_id GPKG');
  await finish(o);
});

test('a cluster opens into a list of its sites; a row opens the card, which says when a place is approximate', T, async () => {
  const o = await open('/');
  const { page } = o;
  const largest = (await renderedOnPage(page, ['site-clusters'])).sort((a, b) => b.properties.point_count - a.properties.point_count)[0];
  const target = { x: largest.x, y: largest.y, n: largest.properties.point_count };
  assert.ok(target.n >= 2, `the largest cluster holds several sites (${target.n})`);
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('.cluster-box');
  const rows = await page.$$('.cluster-box button.row');
  assert.equal(rows.length, target.n, 'every site of the stack is listed');
  await page.screenshot({ path: join(ARTIFACTS, 'cluster-list.png') });
  await rows[0].click();
  await page.waitForSelector('#card:not([hidden])');
  assert.ok(param(page, 'site'));
  const site = await api(suite.server.origin, `sites/${param(page, 'site')}`);
  if (site.properties.approximate) assert.match(await page.textContent('#card .approx-note'), /近似位置/);
  else assert.equal(await page.$('#card .approx-note'), null, 'a precise place has no approximation note');
  await finish(o);
});

test('a marker click opens the card and highlights its list row', T, async () => {
  const o = await open('/?map=15/21.676291/110.9204617');
  const { page } = o;
  const at = (await renderedOnPage(page, ['site-points'])).find((x) => x.properties.id === 'gdupt');
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await page.getAttribute('#card', 'data-id'), 'gdupt');
  assert.equal(await page.getAttribute('#row-gdupt', 'aria-current'), 'true', 'the row is highlighted');
  assert.equal(param(page, 'site'), 'gdupt');
  assert.equal(await page.isVisible('#card .approx-note'), false, 'a located site is not called approximate');
  await finish(o);
});

test('the list is keyboard-navigable and the card closes with Escape', T, async () => {
  const o = await open('/');
  const { page } = o;
  const first = await page.$eval('#list button.row', (b) => b.dataset.id);
  const second = await page.$eval('#list li:nth-child(2) button.row', (b) => b.dataset.id);
  await page.focus(`#row-${first}`);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), second);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await page.getAttribute('#card', 'data-id'), second);
  await page.focus('#card .permalink');
  await page.keyboard.press('Escape');
  assert.equal(await page.isHidden('#card'), true);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), second, 'focus returns to the row');
  await finish(o);
});

test('the indicators panel shows plan targets beside catalogue counts', T, async () => {
  const o = await open('/');
  const { page } = o;
  await openIndicators(page);
  const data = await api(suite.server.origin, 'indicators');
  const rows = await page.$$('#indicators tbody tr');
  assert.equal(rows.length, data.indicators.length);
  const inc = data.indicators.find((x) => x.id === 'incubation_platforms');
  const cells = await page.$$eval('#indicators tr[data-id=incubation_platforms] td', (tds) => tds.map((td) => td.textContent));
  assert.ok(cells[1].includes(String(inc.target)), cells.join(' | '));
  assert.ok(cells[2].includes(String(inc.catalogue_value)), cells.join(' | '));
  await page.screenshot({ path: join(ARTIFACTS, 'indicators.png') });
  await finish(o);
});

test('print gives the map and the filtered list on A4 landscape', T, async () => {
  const o = await open('/?chain=petrochemical');
  const { page } = o;
  const expected = await api(suite.server.origin, 'sites?chain=petrochemical&limit=10000');
  await page.emulateMedia({ media: 'print' });
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await settled(page);
  assert.equal(await page.$$eval('#print-list tbody tr', (r) => r.length), expected.numberMatched);
  // The sites without a location are listed apart, under the map's table: exactly those.
  const unknown = expected.features.filter((f) => f.geometry === null).map((f) => f.properties.name_zh);
  const printedUnknown = await page.$$eval('#print-unknown-table tbody tr td:nth-child(2) > span', (r) => r.map((x) => x.textContent));
  assert.deepEqual(printedUnknown, unknown);
  assert.equal(await page.isVisible('#print-list'), true);
  // The columns of the XLSX list sheet 清单, and no clipped text at A4 landscape's width (277 mm).
  const heads = await page.$$eval('#print-list table thead th', (t) => t.slice(0, 11).map((x) => x.textContent));
  assert.deepEqual(heads, ['#', '名称', '类别', '类型', '产业链/环节', '镇街', '地址', '面积/可用面积（m²）', '状态', '联系方式', '定位精度']);
  await page.setViewportSize({ width: 1047, height: 740 });
  const clipped = await page.$$eval('#print-list th, #print-list td', (cells) => cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent));
  assert.deepEqual(clipped, [], 'no cell cuts its text');
  const tableWidth = await page.$eval('#print-list table', (t) => t.getBoundingClientRect().right);
  assert.ok(tableWidth <= 1047 + 1, `the list fits the page width (${tableWidth} px)`);
  assert.equal(await page.isHidden('#sidebar'), true);
  assert.equal(await page.isVisible('#map'), true);
  await page.pdf({ path: join(ARTIFACTS, 'print.pdf'), preferCSSPageSize: true, printBackground: true });
  assert.ok(readFileSync(join(ARTIFACTS, 'print.pdf')).length > 10_000);
  await finish(o);
});

test('at 360 px the page fits, and the English switch is remembered', T, async () => {
  const o = await open('/', { viewport: { width: 360, height: 740 } });
  const { page } = o;
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no horizontal scrolling at 360 px');
  assert.deepEqual(await page.evaluate(() => window.atlas.missingKeys()), [], 'every UI string in both languages');
  await page.click('#btn-lang');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.reload();
  await settled(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'English is remembered');
  assert.equal(await page.textContent('h1'), 'Maonan Innovation Resource Atlas');
  assert.match(await page.textContent('#result-count'), /^\d+ sites$/);
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-en.png') });
  await page.click('#row-gdupt');
  await page.waitForSelector('#card:not([hidden])');
  const box = await page.$eval('#card', (c) => c.getBoundingClientRect().toJSON());
  assert.ok(box.left >= 0 && box.right <= 360, 'the card fits the screen');
  assert.match(await page.textContent('#card'), /Guangdong University of Petrochemical Technology/);
  assert.match(await page.textContent('#card'), /广东石油化工学院/);
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-card.png') });
  await page.click('#card .show-on-map');
  await settled(page); // the scroll and the fly-to
  const mapTop = await page.$eval('.map-pane', (m) => m.getBoundingClientRect().top);
  assert.ok(mapTop >= -1, `"show on the map" brings the map into view (${mapTop})`);
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-show-on-map.png') });
  await finish(o);
});
