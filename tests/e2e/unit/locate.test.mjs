// Unit tests of the pure locating helpers (web/js/locate.js): share links, typed coordinates,
// the locate PATCH body, the worklist counter and what the map may draw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseShareLink, parseCoordText, locatePatch, locatedCount, hasLocation, unknownCount, firstUrl,
} from '../../../web/js/locate.js';

test('an Amap marker link gives GCJ-02 longitude, latitude', () => {
  assert.deepEqual(parseShareLink('https://uri.amap.com/marker?position=110.9215,21.6632&name=茂名'), { ok: true, lon: 110.9215, lat: 21.6632, crs: 'gcj02' });
  // inside a share text, with other parameters first
  assert.deepEqual(parseShareLink('【高德地图】茂名石化 https://uri.amap.com/marker?src=x&position=110.9,21.7 复制打开'), { ok: true, lon: 110.9, lat: 21.7, crs: 'gcj02' });
  assert.deepEqual(parseShareLink('https://ditu.amap.com/regeo?lng=110.91&lat=21.66&name=x'), { ok: true, lon: 110.91, lat: 21.66, crs: 'gcj02' });
});

test('a Baidu link gives BD-09, latitude first in the link', () => {
  assert.deepEqual(parseShareLink('http://api.map.baidu.com/marker?location=21.6632,110.9215&title=x&content=y&output=html'), { ok: true, lon: 110.9215, lat: 21.6632, crs: 'bd09' });
  assert.deepEqual(parseShareLink('https://map.baidu.com/?latlng=21.66,110.92&title=x'), { ok: true, lon: 110.92, lat: 21.66, crs: 'bd09' });
  // Baidu's coord_type names another CRS
  assert.deepEqual(parseShareLink('http://api.map.baidu.com/marker?location=21.66,110.92&coord_type=gcj02'), { ok: true, lon: 110.92, lat: 21.66, crs: 'gcj02' });
  // a link that put longitude first anyway
  assert.deepEqual(parseShareLink('https://map.baidu.com/?latlng=110.92,21.66'), { ok: true, lon: 110.92, lat: 21.66, crs: 'bd09' });
});

test('a Tencent marker link gives GCJ-02', () => {
  assert.deepEqual(parseShareLink('https://apis.map.qq.com/uri/v1/marker?marker=coord:21.66,110.92;title:x'), { ok: true, lon: 110.92, lat: 21.66, crs: 'gcj02' });
});

test('short links, foreign links and links without coordinates are explained', () => {
  assert.deepEqual(parseShareLink('https://surl.amap.com/3kQ9xYz1'), { ok: false, error: 'linkShort' });
  assert.deepEqual(parseShareLink('【百度地图】 https://j.map.baidu.com/6b/abc'), { ok: false, error: 'linkShort' });
  assert.deepEqual(parseShareLink('https://www.amap.com/place/B0FFG8XYZ'), { ok: false, error: 'linkNoCoords' });
  assert.deepEqual(parseShareLink('https://example.com/?position=110,21'), { ok: false, error: 'linkUnknown' });
  assert.deepEqual(parseShareLink('110.9,21.6'), { ok: false, error: 'linkNone' });
  assert.deepEqual(parseShareLink(''), { ok: false, error: 'linkNone' });
  assert.deepEqual(parseShareLink('https://uri.amap.com/marker?position=510,21'), { ok: false, error: 'errCoordRange' });
  assert.equal(firstUrl('见 https://a.example/x?y=1，谢谢'), 'https://a.example/x?y=1');
});

test('typed coordinates: longitude, latitude with any common separator', () => {
  assert.deepEqual(parseCoordText('110.9215, 21.6632'), { ok: true, lon: 110.9215, lat: 21.6632 });
  assert.deepEqual(parseCoordText(' 110.9215，21.6632 '), { ok: true, lon: 110.9215, lat: 21.6632 });
  assert.deepEqual(parseCoordText('110.9215 21.6632'), { ok: true, lon: 110.9215, lat: 21.6632 });
  assert.deepEqual(parseCoordText('-0.5;51.5'), { ok: true, lon: -0.5, lat: 51.5 });
  assert.deepEqual(parseCoordText(''), { ok: false, error: 'errCoordEmpty' });
  assert.deepEqual(parseCoordText('110.9'), { ok: false, error: 'errCoordFormat' });
  assert.deepEqual(parseCoordText('110.9, abc'), { ok: false, error: 'errCoordFormat' });
  assert.deepEqual(parseCoordText('1, 2, 3'), { ok: false, error: 'errCoordFormat' });
  assert.deepEqual(parseCoordText('21.66, 110.92'), { ok: false, error: 'errCoordOrder' });
  assert.deepEqual(parseCoordText('200, 21'), { ok: false, error: 'errCoordRange' });
  assert.deepEqual(parseCoordText('110, 95'), { ok: false, error: 'errCoordRange' });
});

test('the locate PATCH body: point, precision, source and the CRS of the coordinates', () => {
  const r = locatePatch({ lon: 110.92151234567, lat: 21.66321, crs: 'gcj02', precision: 'building', source: '  高德地图核对  ' });
  assert.deepEqual(r, {
    ok: true,
    body: {
      geometry: { type: 'Point', coordinates: [110.9215123, 21.66321] },
      properties: { location_precision: 'building', location_source: '高德地图核对', crs: 'gcj02' },
    },
  });
  const bad = locatePatch({ lon: NaN, lat: 21, crs: 'utm', precision: 'town', source: ' ' });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? [] : bad.errors.map((e) => e.key), ['errPointNeeded', 'errCrs', 'errPrecisionNeeded', 'errSourceNeeded']);
  for (const precision of ['surveyed', 'building', 'street']) {
    assert.equal(locatePatch({ lon: 1, lat: 2, crs: 'wgs84', precision, source: 's' }).ok, true);
  }
});

test('the counter: located of all', () => {
  assert.deepEqual(locatedCount(53, 41), { located: 12, total: 53 });
  assert.deepEqual(locatedCount(53, 0), { located: 53, total: 53 });
  assert.deepEqual(locatedCount(0, 0), { located: 0, total: 0 });
  assert.deepEqual(locatedCount(5, 9), { located: 0, total: 5 }, 'never negative');
});

test('only features with a geometry reach the map; the facets say how many have none', () => {
  assert.equal(hasLocation({ geometry: null, properties: { location_precision: 'unknown', lon: null, lat: null } }), false);
  assert.equal(hasLocation({ geometry: { type: 'Point', coordinates: [110.9, 21.6] }, properties: { location_precision: 'town' } }), true);
  assert.equal(hasLocation({ geometry: { type: 'Point', coordinates: [110.9, 21.6] }, properties: { location_precision: 'unknown' } }), false);
  assert.equal(unknownCount({ precision: [{ id: 'surveyed', count: 3 }, { id: 'unknown', count: 39 }] }), 39);
  assert.equal(unknownCount({ precision: [{ id: 'surveyed', count: 3 }] }), 0);
  assert.equal(unknownCount({ category: [] }), null, 'a server without the precision group');
  assert.equal(unknownCount(null), null);
});
