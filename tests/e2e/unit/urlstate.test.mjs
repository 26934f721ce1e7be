// Unit tests of the page's URL state (web/js/urlstate.js): parse, serialize, the API query.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, serialize, filterQuery, emptyFilter, sameFilter } from '../../../web/js/urlstate.js';

test('an empty query is the default state, and serializes to nothing', () => {
  const s = parse('');
  assert.deepEqual(s, { filter: emptyFilter(), color: 'category', view: null, site: null, weak: null, townTotals: false, tab: 'sites' });
  assert.equal(serialize(s), '');
});

test('every part of the state survives a round trip, in canonical order', () => {
  const q = '?category=key_enterprise,carrier_platform&chain=petrochemical&link=petrochemical.refining&town=440902001&q=%E7%9F%B3%E5%8C%96'
    + '&color=chain&map=12.50/21.69000/110.91000&site=gdupt&weak_below=3&town_totals=1&tab=match';
  const s = parse(q);
  assert.deepEqual(s.filter.category, ['key_enterprise', 'carrier_platform']);
  assert.equal(s.filter.chain, 'petrochemical');
  assert.equal(s.filter.q, '石化');
  assert.deepEqual(s.view, { zoom: 12.5, lat: 21.69, lon: 110.91 });
  assert.equal(s.color, 'chain');
  assert.equal(s.site, 'gdupt');
  assert.equal(s.weak, 3);
  assert.equal(s.townTotals, true);
  assert.equal(s.tab, 'match');
  assert.deepEqual(parse(serialize(s)), s);
  assert.equal(serialize(s), q.replace('%E7%9F%B3%E5%8C%96', encodeURIComponent('石化')).replace(/,/g, '%2C').replace(/\//g, '%2F'));
});

test('values the page does not know fall back to the defaults', () => {
  const s = parse('?color=rainbow&map=1/2&weak_below=0&tab=nope&town_totals=yes');
  assert.equal(s.color, 'category');
  assert.equal(s.view, null, 'a map view needs zoom/lat/lon');
  assert.equal(s.weak, null, 'the weak threshold is a whole number from 1');
  assert.equal(s.tab, 'sites');
  assert.equal(s.townTotals, false);
  assert.equal(parse('?map=10/95/110').view, null, 'latitude beyond 85° is not a view');
  assert.equal(parse('?weak_below=2.5').weak, null);
});

test('the filter is trimmed; empty categories are dropped', () => {
  const s = parse('?category=%20a%20,,b&kind=%20park%20&q=%20%20');
  assert.deepEqual(s.filter.category, ['a', 'b']);
  assert.equal(s.filter.kind, 'park');
  assert.equal(s.filter.q, '');
});

test('the API query holds only non-empty filter parameters, in a fixed order', () => {
  const f = { ...emptyFilter(), q: 'x', category: ['b', 'a'], chain: 'c' };
  assert.equal(filterQuery(f).toString(), 'category=b%2Ca&chain=c&q=x');
  assert.equal(filterQuery(emptyFilter()).toString(), '');
  assert.ok(sameFilter(f, { ...emptyFilter(), chain: 'c', q: 'x', category: ['b', 'a'] }));
  assert.ok(!sameFilter(f, emptyFilter()));
});

test('a CQL2 filter rides along as `filter`, last among the filter parameters', () => {
  const cql = "chain = 'petrochemical' AND town IN ('440902101')";
  const s = parse(`?chain=health&filter=${encodeURIComponent(cql)}&site=x`);
  assert.equal(s.filter.filter, cql);
  assert.equal(filterQuery(s.filter).get('filter'), cql);
  assert.deepEqual([...filterQuery(s.filter).keys()], ['chain', 'filter']);
  assert.deepEqual(parse(serialize(s)), s);
  assert.equal(parse('?filter=%20%20').filter.filter, '', 'blank is no filter');
});
