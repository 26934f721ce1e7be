// Unit tests of the matching form's client checks (web/js/match.js: parsePoint, validate,
// fieldOfError) and the record card's age (web/js/card.js: daysSince).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePoint, validate, fieldOfError } from '../../../web/js/match.js';
import { daysSince, STALE_DAYS } from '../../../web/js/card.js';

const keys = (r) => r.errors.map((e) => `${e.field}:${e.key}`);

test('parsePoint reads `lon,lat` with a comma (also the full-width one) or spaces', () => {
  assert.deepEqual(parsePoint('110.9,21.6'), [110.9, 21.6]);
  assert.deepEqual(parsePoint(' 110.9， 21.6 '), [110.9, 21.6]);
  assert.deepEqual(parsePoint('-1 2'), [-1, 2]);
  assert.equal(parsePoint('110.9'), null);
  assert.equal(parsePoint('a,b'), null);
  assert.equal(parsePoint(null), null);
});

test('validate builds the query of a valid form', () => {
  const r = validate({ chain: 'petrochemical', link: '', area: ' 500 ', near: '110.9,21.6', radius: '5', towns: ['1', '2'] });
  assert.deepEqual(r.errors, []);
  assert.equal(r.params.toString(), 'chain=petrochemical&min_area_m2=500&near=110.9%2C21.6&radius_km=5&town=1%2C2');
  assert.deepEqual(r.center, [110.9, 21.6]);
  assert.equal(r.radius, 5);
});

test('validate names each bad field', () => {
  assert.deepEqual(keys(validate({ area: '-1', near: 'x', radius: '0' })), ['min_area_m2:errAreaNegative', 'near:errPointFormat', 'radius_km:errRadiusPositive']);
  assert.deepEqual(keys(validate({ areaBad: true, near: '200,1', radiusBad: true })), ['min_area_m2:errNumber', 'near:errPointRange', 'radius_km:errNumber']);
  assert.deepEqual(keys(validate({ radius: '3' })), ['radius_km:errRadiusNeedsPoint']);
  const empty = validate({});
  assert.deepEqual(empty.errors, []);
  assert.equal(empty.params.toString(), '');
  assert.equal(empty.center, null);
});

test('fieldOfError finds the parameter a server message is about', () => {
  assert.equal(fieldOfError("parameter 'radius_km' must be positive"), 'radius_km');
  assert.equal(fieldOfError('near: not a point'), 'near');
  assert.equal(fieldOfError('something else'), null);
});

test('daysSince counts whole days to today; a year makes a record stale', () => {
  const now = new Date(2026, 11, 2, 18, 0);
  assert.equal(daysSince('2026-12-02', now), 0);
  assert.equal(daysSince('2026-12-01T23:59:00Z', now), 1);
  assert.equal(daysSince('2025-12-02', now), 365);
  assert.equal(daysSince('2027-01-01', now), 0, 'a date ahead counts as today');
  assert.equal(daysSince('', now), null);
  assert.equal(STALE_DAYS, 365);
});
