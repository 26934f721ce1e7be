// Issue 12 in the browser: sites without a location (precision `unknown`, `geometry: null`) are
// listed in the 位置待定 tray and never drawn on the map; an editor works the 待定位 worklist down
// by clicking the map (one PATCH with If-Match: one revision), and a stale version (412) is shown,
// never overwritten. A real `atlas serve` on the default dataset, a real headless Chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, settled, api, apiSend, renderedSiteCount, e2eSuite,
} from './helpers.mjs';

const T = { timeout: 180_000 };
const EDITOR = 'locator1';
/** The district boundary's representative point, where the old fallback stacked 39 sites. */
const CENTROID = [110.879029, 21.678283];
const suite = e2eSuite([], { users: [{ name: EDITOR, role: 'editor' }] }, { signedInAs: EDITOR });
const { open, finish } = suite;

/** Metres between two [lon, lat] points (equirectangular; fine at a few km). */
function metres(a, b) {
  const k = Math.PI / 180;
  const x = (b[0] - a[0]) * k * Math.cos(((a[1] + b[1]) / 2) * k);
  const y = (b[1] - a[1]) * k;
  return Math.hypot(x, y) * 6_371_000;
}

/** The tray's rows (ids, in order) and its count. */
async function tray(page) {
  return page.evaluate(() => {
    const box = document.getElementById('tray');
    return {
      hidden: box.hidden,
      count: Number(box.dataset.count),
      title: document.getElementById('tray-title').textContent,
      ids: [...box.querySelectorAll('#tray-list button.row')].map((r) => r.dataset.id),
    };
  });
}

/** Every feature of the map's site sources (what MapLibre was given). */
function sourceFeatures(page) {
  return page.evaluate(async () => {
    const map = window.atlas.map;
    const out = [];
    for (const id of ['sites', 'site-areas']) out.push(...(await map.getSource(id).getData()).features);
    return out.map((f) => ({ id: f.properties.id, geometry: f.geometry }));
  });
}

for (const path of ['/', '/?category=innovation_resource', '/?scope=partner']) {
  test(`the tray lists exactly the API's sites without a location (${path})`, T, async () => {
    const o = await open(path);
    const q = new URLSearchParams(path.slice(2));
    q.set('precision', 'unknown');
    q.set('limit', '10000');
    const unknown = await api(suite.server.origin, `sites?${q}`);
    const got = await tray(o.page);
    assert.equal(got.count, unknown.numberMatched, 'N is the API numberMatched');
    assert.deepEqual(got.ids, unknown.features.map((f) => f.properties.id), 'the same sites, in the API order');
    assert.equal(got.hidden, unknown.numberMatched === 0);
    if (unknown.numberMatched) assert.match(got.title, new RegExp(`位置待定\\s*${unknown.numberMatched}`));
    for (const f of unknown.features) assert.equal(f.geometry, null, 'the API gives them no geometry');
    // None of them reaches a map source; what is drawn is the rest of the filter.
    const drawn = await sourceFeatures(o.page);
    const ids = new Set(unknown.features.map((f) => f.properties.id));
    assert.deepEqual(drawn.filter((f) => ids.has(f.id)), [], 'no site without a location is given to MapLibre');
    const all = await api(suite.server.origin, `sites?${new URLSearchParams(path.slice(2))}&limit=10000`);
    assert.equal(await renderedSiteCount(o.page), all.numberMatched - unknown.numberMatched, 'the map draws the located sites only');
    await finish(o);
  });
}

test('no site is drawn at the old district centroid; the legend counts the tray; a tray row opens the card', T, async () => {
  const o = await open('/');
  const { page } = o;
  for (const f of await sourceFeatures(page)) {
    if (f.geometry.type !== 'Point') continue;
    assert.ok(metres(f.geometry.coordinates, CENTROID) > 50, `${f.id} is not at the district centroid`);
  }
  await page.click('#btn-fit');
  await settled(page);
  const rendered = await page.evaluate(() => window.atlas.map.queryRenderedFeatures({ layers: ['site-points'] })
    .map((f) => ({ id: f.properties.id, c: f.geometry.coordinates })));
  for (const f of rendered) assert.ok(metres(f.c, CENTROID) > 50, `rendered ${f.id} is not at the district centroid`);
  const t = await tray(page);
  assert.ok(t.count > 0, 'the default dataset has sites without a location');
  assert.match(await page.textContent('#legend'), new RegExp(`位置待定 ${t.count}`));
  await page.click('#legend-unknown');
  await page.waitForSelector('#tray[open]');
  await page.click(`#tray-row-${t.ids[0]}`);
  await page.waitForSelector(`#card[data-id="${t.ids[0]}"]:not([hidden])`);
  await settled(page);
  assert.match(await page.textContent('#card'), /位置待定/);
  assert.equal(await page.$('#card .show-on-map'), null, 'no "show on map" for a site without a location');
  await finish(o);
});

/** Opens the worklist and locate mode for `id`. */
async function startLocating(page, id) {
  await page.click('#btn-worklist');
  await page.waitForSelector('#worklist-list button.row');
  await settled(page);
  await page.click(`#wl-row-${id}`);
  await page.waitForSelector(`#locate-form[data-id="${id}"]`);
  await settled(page);
}

test('an editor locates a site from the worklist by clicking the map: one revision, it leaves the tray', T, async () => {
  const o = await open('/', { signedIn: true });
  const { page } = o;
  const work = await api(suite.server.origin, 'sites?located=false&limit=10000');
  const total = (await api(suite.server.origin, 'sites?limit=1')).numberMatched;
  const target = work.features.find((f) => f.properties.location_precision === 'unknown');
  assert.ok(target, 'the worklist has a site without a location');
  const id = target.properties.id;
  assert.ok((await tray(page)).ids.includes(id), 'it is in the tray');
  await startLocating(page, id);
  const rows = await page.$$eval('#worklist-list button.row', (r) => r.map((x) => x.dataset.id));
  assert.deepEqual(rows, work.features.map((f) => f.properties.id), 'the worklist in the API order');
  const counter = () => page.$eval('#worklist-counter', (el) => ({ located: Number(el.dataset.located), total: Number(el.dataset.total), text: el.textContent }));
  const before = await counter();
  assert.deepEqual([before.located, before.total], [total - work.numberMatched, total]);
  assert.match(before.text, new RegExp(`已定位 ${before.located} / ${total}`));

  // A short link is explained, not guessed.
  await page.fill('#locate-link', 'https://surl.amap.com/3kQ9xYz1');
  await page.click('#locate-apply-link');
  assert.match(await page.textContent('#locate-msg'), /短链接/);

  // The click: a point of the map canvas, away from the controls, close in (1 px ≈ 1 m).
  await page.evaluate(() => window.atlas.map.jumpTo({ center: [110.92, 21.66], zoom: 17 }));
  await settled(page);
  const box = await page.$eval('#map', (el) => { const r = el.getBoundingClientRect(); return { w: r.width, h: r.height }; });
  const px = { x: Math.round(box.w * 0.45), y: Math.round(box.h * 0.55) };
  const expected = await page.evaluate(({ x, y }) => { const l = window.atlas.map.unproject([x, y]); return [l.lng, l.lat]; }, px);
  await page.click('#map canvas.maplibregl-canvas', { position: px });
  await page.waitForSelector('.drag-marker');
  assert.match(await page.textContent('#locate-point'), /WGS84/);
  await page.selectOption('#locate-precision', 'street');
  await page.fill('#locate-source', '现场核对（e2e）');
  await page.click('#locate-save');
  await page.waitForSelector('#locate-form', { state: 'detached' });
  await settled(page);

  const after = await api(suite.server.origin, `sites/${id}`);
  assert.equal(after.geometry.type, 'Point');
  assert.ok(metres(after.geometry.coordinates, expected) < 5, `saved where clicked (${after.geometry.coordinates} vs ${expected})`);
  assert.equal(after.properties.location_precision, 'street');
  assert.equal(after.properties.location_source, '现场核对（e2e）');
  const hist = await api(suite.server.origin, `sites/${id}/history`);
  assert.equal(hist.revisions[0].action, 'update');
  assert.equal(hist.revisions[0].who, EDITOR);
  assert.equal(hist.revisions[0].before.geometry, null, 'the revision keeps the unknown location before');

  assert.ok(!(await tray(page)).ids.includes(id), 'it left the tray');
  assert.equal(await page.$(`#wl-row-${id}`), null, 'it left the worklist');
  const now = await counter();
  assert.equal(now.located, before.located + 1, 'the counter moved');
  const drawn = (await sourceFeatures(page)).filter((f) => f.id === id);
  assert.equal(drawn.length, 1, 'it is on the map');
  assert.ok(metres(drawn[0].geometry.coordinates, expected) < 5, 'at the clicked point');
  await page.screenshot({ path: join(ARTIFACTS, 'locate-after.png') });
  await finish(o);
});

test('a stale version is shown and never overwritten (412)', T, async () => {
  const o = await open('/', { signedIn: true });
  const { page } = o;
  const work = await api(suite.server.origin, 'sites?located=false&precision=unknown&limit=10000');
  const id = work.features[0].properties.id;
  await startLocating(page, id);
  await page.fill('#locate-coords', '110.92, 21.66');
  await page.selectOption('#locate-crs', 'gcj02');
  await page.click('#locate-apply-coords');
  assert.match(await page.textContent('#locate-point'), /GCJ-02/);
  // Someone else changes the site meanwhile.
  const cur = await apiSend(suite.server.origin, `sites/${id}`);
  const other = await apiSend(suite.server.origin, `sites/${id}`, { method: 'PATCH', token: suite.token, ifMatch: cur.etag, body: { properties: { notes: 'changed elsewhere' } } });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  await page.fill('#locate-source', '高德地图核对');
  await page.click('#locate-save');
  await page.waitForSelector('#locate-form', { state: 'detached' });
  await settled(page);
  assert.match(await page.textContent('#worklist-status'), /已被他人修改/);
  const after = await api(suite.server.origin, `sites/${id}`);
  assert.equal(after.geometry, null, 'not overwritten: still without a location');
  assert.equal(after.properties.notes, 'changed elsewhere');
  await finish(o, [{ status: 412, route: `sites/${id}` }]);
});

test('typed GCJ-02 coordinates (a pasted Amap link): the server converts them and keeps the original', T, async () => {
  const o = await open('/', { signedIn: true });
  const { page } = o;
  const work = await api(suite.server.origin, 'sites?located=false&precision=unknown&limit=10000');
  const id = work.features[work.features.length - 1].properties.id;
  await startLocating(page, id);
  await page.fill('#locate-link', '【高德地图】 https://uri.amap.com/marker?position=110.925,21.665&name=x');
  await page.click('#locate-apply-link');
  assert.equal(await page.inputValue('#locate-crs'), 'gcj02');
  assert.match(await page.textContent('#locate-point'), /110\.925000, 21\.665000/);
  await page.selectOption('#locate-precision', 'building');
  await page.fill('#locate-source', '高德地图分享链接');
  await page.click('#locate-save');
  await page.waitForSelector('#locate-form', { state: 'detached' });
  await settled(page);
  const after = await api(suite.server.origin, `sites/${id}`);
  const p = after.properties;
  assert.equal(p.original_crs, 'gcj02');
  assert.deepEqual([p.original_lon, p.original_lat], [110.925, 21.665], 'the original is kept');
  const shift = metres(after.geometry.coordinates, [110.925, 21.665]);
  assert.ok(shift > 100 && shift < 1000, `converted to WGS84 (GCJ-02 is a few hundred metres off here: ${shift.toFixed(0)} m)`);
  assert.equal(p.location_precision, 'building');
  assert.ok(!(await tray(page)).ids.includes(id), 'it left the tray');
  await finish(o);
});
