// Unit tests of the page at any size (web/js/sitepages.js): the map's mode, the tile URLs, the
// page queries, the list that grows a page at a time, a tile cluster's members, the tile style.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TILE_THRESHOLD, PAGE_SIZE, mapMode, tileTemplate, tileJsonUrl, pageQuery, pageList, clusterInfo,
  clusterPageQuery, vectorSitesStyle,
} from '../../../web/js/sitepages.js';

const BASE = 'http://127.0.0.1:8080/atlas/';

test('a catalogue above the threshold is drawn from tiles, a small or unknown one as GeoJSON', () => {
  assert.equal(mapMode(TILE_THRESHOLD + 1), 'tiles');
  assert.equal(mapMode(100_053), 'tiles');
  assert.equal(mapMode(TILE_THRESHOLD), 'geojson');
  assert.equal(mapMode(53), 'geojson');
  assert.equal(mapMode(null), 'geojson');
  assert.equal(mapMode(undefined), 'geojson');
});

test('the tile template keeps {z}/{x}/{y} for MapLibre and carries the filter, under the page base', () => {
  const q = new URLSearchParams({ category: 'key_enterprise,carrier_platform', q: '石化' });
  assert.equal(
    tileTemplate(BASE, q),
    'http://127.0.0.1:8080/atlas/tiles/sites/{z}/{x}/{y}.mvt?category=key_enterprise%2Ccarrier_platform&q=%E7%9F%B3%E5%8C%96',
  );
  assert.equal(tileTemplate(BASE, new URLSearchParams()), 'http://127.0.0.1:8080/atlas/tiles/sites/{z}/{x}/{y}.mvt');
  assert.equal(tileJsonUrl(BASE, new URLSearchParams({ chain: 'petrochemical' })), 'http://127.0.0.1:8080/atlas/tiles/sites.json?chain=petrochemical');
  assert.equal(tileJsonUrl(BASE, new URLSearchParams()), 'http://127.0.0.1:8080/atlas/tiles/sites.json');
});

test('a page query adds limit, offset (not 0) and extra parameters without changing the filter', () => {
  const filter = new URLSearchParams({ chain: 'petrochemical' });
  assert.equal(pageQuery(filter, 0, 200).toString(), 'chain=petrochemical&limit=200');
  assert.equal(pageQuery(filter, 400, 200, { precision: 'unknown' }).toString(), 'chain=petrochemical&precision=unknown&limit=200&offset=400');
  assert.equal(filter.toString(), 'chain=petrochemical');
  assert.equal(clusterPageQuery(filter, [110.8, 21.6, 110.9, 21.7], 0, PAGE_SIZE).toString(), 'chain=petrochemical&bbox=110.8%2C21.6%2C110.9%2C21.7&limit=200');
});

/** A fake API of `n` sites answering pages (offset, limit), recording what was asked. */
function fakeApi(n) {
  const asked = [];
  const load = async (offset, limit) => {
    asked.push([offset, limit]);
    const features = [];
    for (let i = offset; i < Math.min(n, offset + limit); i++) features.push({ properties: { id: `s${i}` } });
    return { features, numberMatched: n };
  };
  return { asked, load };
}

test('a page list loads page after page up to numberMatched, then asks nothing more', async () => {
  const api = fakeApi(450);
  const list = pageList(api.load, 200);
  assert.equal(list.hasMore(), true);
  assert.equal(await list.next(), true);
  assert.equal(list.items.length, 200);
  assert.equal(list.matched, 450);
  await list.next();
  await list.next();
  assert.equal(list.items.length, 450);
  assert.equal(list.hasMore(), false);
  assert.equal(await list.next(), false);
  assert.deepEqual(api.asked, [[0, 200], [200, 200], [400, 200]]);
  assert.deepEqual(list.items.map((f) => f.properties.id).slice(198, 202), ['s198', 's199', 's200', 's201']);
});

test('a page list loads one page at a time, and drops an answer that arrives after a reset', async () => {
  const api = fakeApi(1000);
  const list = pageList(api.load, 100);
  const first = list.next();
  assert.equal(await list.next(), false, 'a second call while one loads asks nothing');
  await first;
  assert.equal(list.items.length, 100);
  const late = list.next();
  list.reset();
  assert.equal(await late, false);
  assert.deepEqual(list.items, []);
  assert.equal(list.matched, null);
  await list.next();
  assert.equal(list.items[0].properties.id, 's0');
});

test('a page list keeps its pages and the error of a failed one, and can try again', async () => {
  let fail = true;
  const api = fakeApi(300);
  const list = pageList((o, l) => (fail ? Promise.reject(new Error('HTTP 503')) : api.load(o, l)), 200);
  await assert.rejects(list.next(), /503/);
  assert.equal(list.error, 'HTTP 503');
  assert.equal(list.loading, false);
  fail = false;
  assert.equal(await list.next(), true);
  assert.equal(list.error, null);
  assert.equal(list.items.length, 200);
});

test('a page list that finds fewer sites than counted stops (the catalogue shrank)', async () => {
  const list = pageList(async (offset) => ({ features: offset ? [] : [{ properties: { id: 'a' } }], numberMatched: 5 }), 1);
  await list.next();
  assert.equal(list.hasMore(), true);
  assert.equal(await list.next(), false);
  assert.equal(list.hasMore(), false);
  assert.equal(list.matched, 1);
});

test('a tile cluster tells its count, the box of its markers, its ids when listed, one place or not', () => {
  assert.deepEqual(clusterInfo({ cluster: true, count: 3, bbox: '110.8,21.6,110.9,21.7', ids: 'a,b,c' }), {
    count: 3, bbox: [110.8, 21.6, 110.9, 21.7], ids: ['a', 'b', 'c'], samePlace: false,
  });
  assert.deepEqual(clusterInfo({ cluster: true, count: 5000, bbox: '110.9,21.65,110.9,21.65' }), {
    count: 5000, bbox: [110.9, 21.65, 110.9, 21.65], ids: null, samePlace: true,
  });
  assert.deepEqual(clusterInfo({ cluster: true, count: 2, bbox: 'nonsense' }).bbox, null);
});

test('the tile style draws the same layers from the vector source, reading count and cluster', () => {
  const style = {
    sources: { sites: { type: 'geojson', data: {}, cluster: true }, other: { type: 'geojson', data: {} } },
    layers: [
      { id: 'base', type: 'fill', source: 'other' },
      { id: 'site-clusters', type: 'circle', source: 'sites', filter: ['has', 'point_count'], paint: { 'circle-radius': ['step', ['get', 'point_count'], 14, 10, 18], 'circle-color': ['case', ['==', ['get', 'n_approximate'], ['get', 'point_count']], '#fff', '#000'] } },
      { id: 'site-cluster-count', type: 'symbol', source: 'sites', filter: ['has', 'point_count'], layout: { 'text-field': ['get', 'point_count_abbreviated'] } },
      { id: 'site-points', type: 'symbol', source: 'sites', filter: ['!', ['has', 'point_count']] },
    ],
  };
  const before = JSON.stringify(style);
  const out = vectorSitesStyle(style, 'http://x/tiles/sites/{z}/{x}/{y}.mvt?q=a');
  assert.equal(JSON.stringify(style), before, 'the page style is not changed');
  assert.deepEqual(out.sources.sites, { type: 'vector', tiles: ['http://x/tiles/sites/{z}/{x}/{y}.mvt?q=a'], minzoom: 0, maxzoom: 16 });
  assert.deepEqual(out.layers[0], style.layers[0]);
  const [, clusters, label, points] = out.layers;
  for (const l of [clusters, label, points]) assert.equal(l['source-layer'], 'sites');
  assert.deepEqual(clusters.filter, ['==', ['get', 'cluster'], true]);
  assert.deepEqual(clusters.paint['circle-radius'], ['step', ['get', 'count'], 14, 10, 18]);
  assert.deepEqual(clusters.paint['circle-color'][1], ['==', ['get', 'n_approximate'], ['get', 'count']]);
  assert.deepEqual(points.filter, ['!', ['==', ['get', 'cluster'], true]]);
  assert.ok(!JSON.stringify(out.layers).includes('point_count'));
  assert.equal(label.layout['text-field'][0], 'case');
});
