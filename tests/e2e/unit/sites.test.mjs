// Unit tests of the pure site helpers (web/js/sites.js) and the symbol names (web/js/symbols.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteChains, markerOf, boundsOf } from '../../../web/js/sites.js';
import { parseName, symbolName } from '../../../web/js/symbols.js';

test('siteChains reads chains and links from the `;`-separated text', () => {
  assert.deepEqual(siteChains('petrochemical; agri.processing ;;'), [
    { chain: 'petrochemical', link: null },
    { chain: 'agri', link: 'agri.processing' },
  ]);
  assert.deepEqual(siteChains(null), []);
  assert.deepEqual(siteChains(''), []);
});

test('markerOf: a point, a polygon with its marker, or nothing', () => {
  assert.deepEqual(markerOf({ geometry: { type: 'Point', coordinates: [110.9, 21.6] }, properties: {} }), [110.9, 21.6]);
  const polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
  assert.deepEqual(markerOf({ geometry: polygon, properties: { lon: 0.5, lat: 0.4 } }), [0.5, 0.4]);
  assert.equal(markerOf({ geometry: polygon, properties: {} }), null);
  assert.equal(markerOf({ geometry: null, properties: { lon: 'x', lat: 1 } }), null);
  assert.equal(markerOf({ geometry: null, properties: { location_precision: 'unknown', lon: 110.9, lat: 21.6 } }), null, 'a site of unknown location has no marker');
});

test('boundsOf spans points and polygons; null when there is nothing', () => {
  const fc = {
    features: [
      { geometry: { type: 'Point', coordinates: [110, 21] }, properties: {} },
      { geometry: { type: 'Polygon', coordinates: [[[111, 20], [112, 22], [111.5, 21], [111, 20]]] }, properties: {} },
      { geometry: null, properties: {} },
    ],
  };
  assert.deepEqual(boundsOf(fc), [[110, 20], [112, 22]]);
  assert.equal(boundsOf({ features: [] }), null);
  assert.equal(boundsOf(null), null);
});

test('symbol names round-trip; other names are not symbols', () => {
  const name = symbolName('triangle', 'hollow', '#1a2B3c');
  assert.equal(name, 'site/triangle/hollow/#1a2B3c');
  assert.deepEqual(parseName(name), { shape: 'triangle', fill: 'hollow', color: '#1a2B3c' });
  assert.equal(parseName('site/star/solid/#000000'), null);
  assert.equal(parseName('site/circle/solid/red'), null);
  assert.equal(parseName('marker'), null);
});
