// Unit tests of the site form's values (web/js/edit/sitevalues.js): the canonical values of a record,
// the client's checks, the PATCH of what changed and the POST of a new site.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../../web/js/labels.js';
import { valuesOf, validateSite, patchOf, featureOf, chainList, round7 } from '../../../web/js/edit/sitevalues.js';

L.loadVocabularies({
  kind: [
    { id: 'enterprise', name_zh: '企业', name_en: 'Enterprise', category: 'key_enterprise' },
    { id: 'university', name_zh: '高校', name_en: 'University', category: 'innovation_resource' },
  ],
});

const feature = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [110.9, 21.6] },
  properties: { id: 'a', name_zh: ' 甲 ', name_en: '', category: 'key_enterprise', kind: 'enterprise', source: 's', chains: 'b.x;a', area_m2: 10, established: null },
};

/** What the form would read for `values`: texts, no bad numbers. */
const raw = (o) => ({ source: 's', category: 'key_enterprise', kind: 'enterprise', name_zh: '甲', lon: '110.9', lat: '21.6', ...o });

test('valuesOf: trimmed texts, null for empty, sorted chains, the marker', () => {
  const v = valuesOf(feature);
  assert.equal(v.name_zh, '甲');
  assert.equal(v.name_en, null);
  assert.equal(v.area_m2, 10);
  assert.equal(v.established, null);
  assert.equal(v.chains, 'a;b.x');
  assert.deepEqual([v.lon, v.lat], [110.9, 21.6]);
  assert.deepEqual(chainList('b.x;a'), ['a', 'b.x']);
  assert.equal(valuesOf(null).lon, null);
});

test('validateSite: required fields, lengths, the kind of the category', () => {
  const { errors } = validateSite({ name_zh: '', lon: '', lat: '' }, { creating: true, pointEditable: true });
  assert.deepEqual(errors.map((e) => `${e.field}:${e.key}`), ['id:errRequired', 'name_zh:errRequired', 'category:errRequired', 'kind:errRequired', 'source:errRequired']);
  const long = validateSite(raw({ name_zh: '字'.repeat(201) }), { creating: false, pointEditable: true });
  assert.deepEqual(long.errors, [{ field: 'name_zh', key: 'errTooLong', params: { n: 200 } }]);
  const mismatch = validateSite(raw({ kind: 'university' }), { creating: false, pointEditable: true });
  assert.deepEqual(mismatch.errors.map((e) => e.key), ['errKindCategory']);
  const badId = validateSite(raw({ id: 'Not OK', location_precision: 'street' }), { creating: true, pointEditable: true });
  assert.deepEqual(badId.errors.map((e) => `${e.field}:${e.key}`), ['id:errIdFormat']);
});

test('validateSite: numbers, years, coordinates', () => {
  const opts = { creating: false, pointEditable: true };
  const bad = validateSite(raw({ area_m2: '-1', established: '99', available_area_m2Bad: true, lon: '200' }), opts);
  assert.deepEqual(bad.errors.map((e) => `${e.field}:${e.key}`), ['area_m2:errAreaNegativeField', 'available_area_m2:errNumber', 'established:errYear', 'lon:errLon']);
  const one = validateSite(raw({ lat: '' }), opts);
  assert.deepEqual(one.errors.map((e) => `${e.field}:${e.key}`), ['lat:errLonLatNeeded']);
  const none = validateSite(raw({ lon: '', lat: '' }), opts);
  assert.deepEqual(none.errors.map((e) => `${e.field}:${e.key}`), ['lon:errLonLatNeeded'], 'an edited point keeps a position');
  const unlocated = validateSite(raw({ lon: '', lat: '' }), { ...opts, unlocated: true });
  assert.deepEqual(unlocated.errors, [], 'a site without a location (precision unknown) may be edited without giving one');
  assert.equal(unlocated.values.lon, null);
  const ok = validateSite(raw({ area_m2: ' 12.5 ', established: '2008', chains: ['b', 'a'] }), opts);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.values.area_m2, 12.5);
  assert.equal(ok.values.established, 2008);
  assert.equal(ok.values.chains, 'a;b');
  assert.deepEqual([ok.values.lon, ok.values.lat], [110.9, 21.6]);
});

test('validateSite for a new site: the point and its precision go together', () => {
  const opts = { creating: true, pointEditable: true };
  const noPrecision = validateSite(raw({ id: 'new-site' }), opts);
  assert.deepEqual(noPrecision.errors.map((e) => e.key), ['errPrecisionRequired']);
  const noPoint = validateSite(raw({ id: 'new-site', lon: '', lat: '', location_precision: 'surveyed' }), opts);
  assert.deepEqual(noPoint.errors.map((e) => e.key), ['errPrecisionNeedsPoint']);
  const half = validateSite(raw({ id: 'new-site', lat: '', location_precision: 'town' }), opts);
  assert.deepEqual(half.errors.map((e) => `${e.field}:${e.key}`), ['lat:errLonLatBoth']);
  const fine = validateSite(raw({ id: 'new-site', lon: '', lat: '', location_precision: 'town' }), opts);
  assert.deepEqual(fine.errors, []);
});

test('patchOf: only what changed; null clears; the geometry only when the point moved', () => {
  const before = valuesOf(feature);
  assert.deepEqual(patchOf(before, { ...before }, { pointEditable: true }), {});
  const changed = { ...before, name_en: 'A', area_m2: null };
  assert.deepEqual(patchOf(before, changed, { pointEditable: true }), { properties: { name_en: 'A', area_m2: null } });
  const moved = { ...before, lon: 110.95 };
  assert.deepEqual(patchOf(before, moved, { pointEditable: true }), { geometry: { type: 'Point', coordinates: [110.95, 21.6] } });
  assert.deepEqual(patchOf(before, { ...before, lon: 110.9 + 1e-12 }, { pointEditable: true }), {}, 'below the importer’s precision is no move');
  assert.deepEqual(patchOf(before, moved, { pointEditable: false }), {}, 'a polygon is not moved from the form');
});

test('featureOf: the POST body holds the set values and the point', () => {
  const { values } = validateSite(raw({ id: 'new-site', location_precision: 'street', chains: ['a'] }), { creating: true, pointEditable: true });
  const f = featureOf(values);
  assert.equal(f.id, 'new-site');
  assert.deepEqual(f.geometry, { type: 'Point', coordinates: [110.9, 21.6] });
  assert.deepEqual(f.properties, { id: 'new-site', name_zh: '甲', source: 's', category: 'key_enterprise', kind: 'enterprise', location_precision: 'street', chains: 'a' });
  assert.equal(featureOf({ ...values, lon: null, lat: null }).geometry, null);
  assert.equal(round7(110.123456789), 110.1234568);
});
