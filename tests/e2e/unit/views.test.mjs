// Unit tests of the page's plumbing and the views' pure parts: the store (web/js/store.js), the
// fetch-abort-render channel (web/js/latest.js), the layer toggles' categories, the tab keys, the
// chain of the chain view, the colour chain of a list row.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../../../web/js/store.js';
import { latest } from '../../../web/js/latest.js';
import { toggledCategories, CATEGORIES } from '../../../web/js/views/filters.js';
import { tabAfterKey } from '../../../web/js/views/tabs.js';
import { chainViewChain } from '../../../web/js/views/chainpanel.js';
import { primaryChain } from '../../../web/js/views/list.js';
import { emptyFilter } from '../../../web/js/urlstate.js';

test('the store tells the subscribers of the keys that changed, once per set', () => {
  const store = createStore({ a: 1, b: 2, c: 3 });
  const seen = [];
  store.subscribe(['a', 'b'], (s) => seen.push(`ab:${s.a}${s.b}`));
  const off = store.subscribe(['c'], (s) => seen.push(`c:${s.c}`));
  store.set({ a: 1 });
  store.set({ a: 5, b: 6 });
  store.set({ c: 7 });
  off();
  store.set({ c: 8 });
  assert.deepEqual(seen, ['ab:56', 'c:7']);
  assert.deepEqual(store.state, { a: 5, b: 6, c: 8 });
});

test('a fetch channel renders only its latest answer and aborts the ones before', async () => {
  const tracked = [];
  const channel = latest((p) => (tracked.push(p), p));
  const shown = [];
  const signals = [];
  const slow = (value, ms) => (signal) => {
    signals.push(signal);
    return new Promise((resolve) => setTimeout(() => resolve(value), ms));
  };
  const on = { ok: (v) => shown.push(v), fail: (e) => shown.push(`error ${e.message}`) };
  const first = channel.run(slow('first', 30), on);
  const second = channel.run(slow('second', 5), on);
  await Promise.all([first, second]);
  assert.deepEqual(shown, ['second']);
  assert.equal(signals[0].aborted, true);
  assert.equal(signals[1].aborted, false);
  assert.equal(tracked.length, 2, 'every request is tracked');
  await channel.run(() => Promise.reject(new Error('boom')), on);
  assert.deepEqual(shown, ['second', 'error boom']);
  const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });
  await channel.run(() => Promise.reject(aborted), on);
  const cancelled = channel.run(slow('late', 5), on);
  channel.cancel();
  await cancelled;
  assert.deepEqual(shown, ['second', 'error boom'], 'an abort and a cancelled request show nothing');
});

test('layer toggles: [] means all; the last category cannot be switched off', () => {
  const [a, b, c] = CATEGORIES;
  assert.deepEqual(toggledCategories([], b, false), [a, c]);
  assert.deepEqual(toggledCategories([c, a], b, true), [], 'all three is no filter');
  assert.deepEqual(toggledCategories([c], a, true), [a, c], 'in the canonical order');
  assert.equal(toggledCategories([a], a, false), null);
});

test('tab keys move between the two tabs and wrap around', () => {
  assert.equal(tabAfterKey('ArrowRight', 'sites'), 'match');
  assert.equal(tabAfterKey('ArrowRight', 'match'), 'sites');
  assert.equal(tabAfterKey('ArrowLeft', 'sites'), 'match');
  assert.equal(tabAfterKey('Home', 'match'), 'sites');
  assert.equal(tabAfterKey('End', 'sites'), 'match');
  assert.equal(tabAfterKey('a', 'sites'), null);
});

test('the chain view shows the filter’s (first) chain, else the chain of its link', () => {
  assert.equal(chainViewChain({ ...emptyFilter(), chain: 'a,b' }), 'a');
  assert.equal(chainViewChain({ ...emptyFilter(), link: 'agri.processing' }), 'agri');
  assert.equal(chainViewChain(emptyFilter()), '');
});

test('a list row takes the colour of the filter’s chain when the site is on it', () => {
  assert.equal(primaryChain({ chains: 'a;b.x' }, 'b'), 'b');
  assert.equal(primaryChain({ chains: 'a;b.x' }, 'c'), 'a');
  assert.equal(primaryChain({ chains: '' }, ''), 'none');
});
