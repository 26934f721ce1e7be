// Unit tests of the label lookups (web/js/labels.js): vocabularies, chains, links, townships, in
// both languages, fed the API's own shapes (`{chains: […]}`, `{divisions: […]}`, labels `name_zh`/`name_en`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setLang } from '../../../web/js/i18n.js';
import * as L from '../../../web/js/labels.js';

// setLang marks <html lang>: a stand-in document is all it needs.
globalThis.document ??= /** @type {any} */ ({ documentElement: {} });

L.loadVocabularies({
  category: [{ id: 'key_enterprise', name_zh: '重点企业', name_en: 'Key enterprises' }],
  kind: [{ id: 'enterprise', name_zh: '企业', name_en: 'Enterprise', category: 'key_enterprise' }],
});
L.loadChains({ chains: [{ id: 'petrochemical', name_zh: '石化', name_en: 'Petrochemicals', links: [{ id: 'petrochemical.refining', name_zh: '炼化', name_en: 'Refining' }] }] });
L.loadDivisions({ divisions: [{ code: '440902001', name_zh: '新华街道', name_en: 'Xinhua' }] });

test('labels follow the page language; unknown ids show themselves', () => {
  setLang('zh');
  assert.equal(L.vocabLabel('category', 'key_enterprise'), '重点企业');
  assert.equal(L.chainLabel('petrochemical'), '石化');
  assert.equal(L.linkLabel('petrochemical.refining'), '炼化');
  assert.equal(L.townLabel('440902001'), '新华街道');
  setLang('en');
  assert.equal(L.vocabLabel('category', 'key_enterprise'), 'Key enterprises');
  assert.equal(L.chainLabel('petrochemical'), 'Petrochemicals');
  assert.equal(L.townLabel(440902001), 'Xinhua');
  assert.equal(L.vocabLabel('category', 'nope'), 'nope');
  assert.equal(L.vocabLabel('category', ''), '');
  setLang('zh');
  assert.equal(L.vocabLabel('kind', 'other', '其他'), '其他', 'the record’s own Chinese label when the vocabulary has none');
  assert.equal(L.townLabel('999', '某镇'), '某镇');
});

test('the reference lists keep their order and relations', () => {
  assert.deepEqual(L.vocabOrder.kind, ['enterprise']);
  assert.equal(L.kindCategory.enterprise, 'key_enterprise');
  assert.deepEqual(L.chainOrder, ['petrochemical']);
  assert.deepEqual(L.townOrder, ['440902001']);
  assert.deepEqual(L.chainLinks('petrochemical').map((l) => l.id), ['petrochemical.refining']);
  assert.deepEqual(L.chainLinks('nope'), []);
  assert.equal(L.chainOfLink('petrochemical.refining'), 'petrochemical');
  assert.equal(L.chainOfLink('agri.processing'), 'agri', 'an unknown link names its chain');
  assert.equal(L.chainOfLink('agri'), null);
});
