// Issue 6 in the browser: staff sign-in (token in session storage only), editing a site (PATCH
// with If-Match; a stale version is refused with 412 and never overwritten), drag-to-correct,
// upload with a dry-run row report, history and revert, delete and restore, and names rendered
// as text. A real `atlas serve` on the default dataset with an editor made by `atlas user add`,
// a real headless Chromium. Every test also proves that the page asked nothing of another host
// and logged no error; the only failed requests allowed are the ones a test provokes on purpose
// (a wrong token: 401, a stale version: 412, an invalid upload: 422), each named in the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, settled, api, apiSend, listIds, e2eSuite,
} from './helpers.mjs';

const T = { timeout: 180_000 };
const EDITOR = 'editor1';
const suite = e2eSuite([], { users: [{ name: EDITOR, role: 'editor' }] }, { signedInAs: EDITOR });

/** A page ({@link e2eSuite}'s `open`) that records and dismisses every browser dialog. */
async function open(path = '/', opts = {}) {
  const o = await suite.open(path, opts);
  o.dialogs = [];
  o.page.on('dialog', async (d) => {
    o.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  return o;
}

/**
 * Nothing left the origin, no browser dialog (alert/confirm) opened, nothing went wrong in the
 * console; `expected` lists the failed requests the test provoked (status and route).
 */
async function finish(o, expected = []) {
  assert.deepEqual(o.dialogs, [], 'no alert, confirm or prompt');
  for (const { status, route } of expected) {
    assert.ok(o.problems.some((p) => p.startsWith(`HTTP ${status}: `) && p.includes(`/api/v1/${route}`)), `the provoked ${status} on ${route} happened`);
  }
  await suite.finish(o, expected);
}

/** The site as the API has it now, with its version. */
async function site(id) {
  const r = await apiSend(suite.server.origin, `sites/${id}`);
  return { status: r.status, version: r.etag === null ? null : Number(r.etag), feature: r.body };
}

/** Opens a site's card from its list row. */
async function openCard(page, id) {
  await page.click(`#row-${id}`);
  await page.waitForSelector(`#card[data-id="${id}"]:not([hidden])`);
  await settled(page);
}

const rowText = (page, id) => page.textContent(`#row-${id}`);
const EDIT_BUTTONS = ['#card-edit', '#card-verify', '#card-move', '#card-history', '#card-delete'];

async function noEditControls(page) {
  for (const sel of [...EDIT_BUTTONS, '.card-edit', '#btn-new-site', '#btn-upload', '#btn-deleted', '#btn-signout', 'dialog']) {
    assert.equal(await page.$(sel), null, `a reader's page has no ${sel}, not even hidden`);
  }
  assert.equal(await page.$eval('#staff-bar', (el) => el.childElementCount), 0, 'the staff bar is empty');
}

test('sign-in: a wrong token is refused, the right one brings the edit controls; readers see none', T, async () => {
  const o = await open('/?site=gdut');
  const { page } = o;
  await page.waitForSelector('#card:not([hidden])');
  await noEditControls(page);
  assert.ok(await page.isVisible('#btn-signin'), 'the sign-in button is there');

  await page.click('#btn-signin');
  await page.waitForSelector('dialog.signin[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-token', 'the token field has the focus');
  await page.fill('#signin-token', 'not-a-real-token-0000000000000000');
  await page.click('#signin-submit');
  await page.waitForSelector('#signin-error:not([hidden])');
  assert.equal(await page.textContent('#signin-error'), '令牌无效或已被撤销。');
  assert.equal(await page.getAttribute('#signin-token', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('atlas.token') ?? localStorage.getItem('atlas.token')), null, 'a refused token is kept nowhere');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-signin-wrong.png') });

  await page.fill('#signin-token', suite.token);
  await page.click('#signin-submit');
  await page.waitForSelector('#staff-who');
  await settled(page);
  assert.equal(await page.$('dialog'), null, 'the dialog closed');
  assert.equal(await page.textContent('#staff-who'), `已登录：${EDITOR}（编辑）`);
  assert.equal(await page.isVisible('#btn-signin'), false, 'no sign-in button while signed in');
  await page.waitForSelector('#card .card-edit');
  for (const sel of EDIT_BUTTONS) assert.ok(await page.isVisible(sel), `${sel} is shown to the editor`);
  for (const sel of ['#btn-new-site', '#btn-upload', '#btn-deleted', '#btn-signout']) assert.ok(await page.isVisible(sel), sel);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'btn-new-site', 'focus moves to the editing tools');

  // The token lives in this tab's session storage only: not in local storage, a cookie or the URL.
  const where = await page.evaluate((tk) => ({
    session: sessionStorage.getItem('atlas.token') === tk,
    local: Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes(tk)),
    cookie: document.cookie.includes(tk),
    url: location.href.includes(tk),
  }), suite.token);
  assert.deepEqual(where, { session: true, local: false, cookie: false, url: false });
  assert.ok(o.requests.every((u) => !u.includes(suite.token)), 'the token is in no URL');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-signed-in.png') });

  // A reload of the tab keeps the session; signing out forgets it and takes every control away.
  await page.reload();
  await settled(page);
  await page.waitForSelector('#card .card-edit');
  await page.click('#btn-signout');
  await page.waitForSelector('#btn-signin:not([hidden])');
  await noEditControls(page);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('atlas.token')), null);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'btn-signin');
  await finish(o, [{ status: 401, route: 'auth/me' }]);
});

test('an editor renames a site: the card and the list show it, the version goes up by one', T, async () => {
  const id = 'gdupt';
  const was = await site(id);
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await openCard(page, id);
  await page.click('#card-edit');
  await page.waitForSelector('dialog.site-editor[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ed-name_zh');
  assert.equal(await page.inputValue('#ed-name_zh'), was.feature.properties.name_zh);
  assert.equal(await page.inputValue('#ed-kind'), was.feature.properties.kind, 'the vocabularies are selects holding the value');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-form.png') });

  // The client's checks come first, in the page's language, at the fields.
  await page.fill('#ed-name_zh', '');
  await page.fill('#ed-lat', '95');
  await page.fill('#ed-area_m2', '-5');
  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor .form-error:not([hidden])');
  assert.equal(await page.textContent('#ed-name_zh-error'), '此项为必填。');
  assert.equal(await page.textContent('#ed-lat-error'), '纬度须在 −90 至 90 之间。');
  assert.equal(await page.textContent('#ed-area_m2-error'), '面积不能为负数。');
  assert.equal(await page.getAttribute('#ed-lat', 'aria-invalid'), 'true');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-form-errors.png') });
  assert.equal((await site(id)).version, was.version, 'nothing was sent');

  const name = '广东石油化工学院（更名测试）';
  await page.fill('#ed-name_zh', name);
  await page.fill('#ed-lat', String(was.feature.geometry.coordinates[1]));
  await page.fill('#ed-area_m2', '');
  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor', { state: 'detached' });
  await settled(page);
  assert.equal(await page.textContent('#card-title'), name, 'the card shows the new name');
  assert.equal(await page.textContent('#card-status'), `已保存“${name}”。`);
  assert.ok((await rowText(page, id)).includes(name), 'the list shows the new name');
  const now = await site(id);
  assert.equal(now.feature.properties.name_zh, name);
  assert.equal(now.version, was.version + 1, 'the version went up by one');
  assert.deepEqual(now.feature.geometry, was.feature.geometry, 'the location did not move');
  assert.equal(now.feature.properties.location_precision, was.feature.properties.location_precision);
  await finish(o);
});

test('a stale edit is refused (412): the editor is told, nothing is overwritten, the latest can be loaded', T, async () => {
  const id = 'scut';
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await openCard(page, id);
  const was = await site(id);
  await page.click('#card-edit');
  await page.waitForSelector('dialog.site-editor[open]');
  await page.fill('#ed-name_en', 'Mine (browser)');

  // Someone else saves first, behind the page's back.
  const theirs = await apiSend(suite.server.origin, `sites/${id}`, {
    method: 'PATCH', token: suite.token, ifMatch: was.version, body: { properties: { name_en: 'Theirs (API)' } },
  });
  assert.equal(theirs.status, 200, JSON.stringify(theirs.body));

  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor .conflict:not([hidden])');
  assert.ok((await page.textContent('.conflict')).includes('此记录在您打开后已被他人修改'), 'the editor is told');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-conflict.png') });
  const after412 = await site(id);
  assert.equal(after412.feature.properties.name_en, 'Theirs (API)', 'their change is not overwritten');
  assert.equal(after412.version, was.version + 1);

  await page.click('.conflict .reload-latest');
  await page.waitForFunction(() => document.querySelector('#ed-name_en')?.value === 'Theirs (API)');
  await page.fill('#ed-name_en', 'Mine, on the latest version');
  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor', { state: 'detached' });
  await settled(page);
  const last = await site(id);
  assert.equal(last.feature.properties.name_en, 'Mine, on the latest version');
  assert.equal(last.version, was.version + 2);
  assert.equal(await page.textContent('#card .name-en'), 'Mine, on the latest version');
  await finish(o, [{ status: 412, route: `sites/${id}` }]);
});

test('a new site through the form: the server refusal is shown at the field, then it is created', T, async () => {
  const id = 'e2e-form-site';
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await page.click('#btn-new-site');
  await page.waitForSelector('dialog.site-editor[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ed-id');

  // Empty form: the required fields are named.
  await page.click('dialog.site-editor button[type=submit]');
  for (const f of ['id', 'name_zh', 'category', 'kind', 'source']) {
    assert.equal(await page.textContent(`#ed-${f}-error`), '此项为必填。', f);
  }
  await page.fill('#ed-id', 'Bad Id!');
  await page.fill('#ed-lon', '110.93');
  await page.click('dialog.site-editor button[type=submit]');
  assert.ok((await page.textContent('#ed-id-error')).startsWith('编号只能用'));
  assert.equal(await page.textContent('#ed-lat-error'), '经度和纬度须同时填写（新建时都留空则按镇街驻地放置）。');

  await page.fill('#ed-id', id);
  await page.fill('#ed-name_zh', '表单新建孵化器');
  await page.fill('#ed-name_en', 'Form-made Incubator');
  await page.selectOption('#ed-category', 'carrier_platform');
  const kinds = await page.$$eval('#ed-kind option', (os) => os.map((x) => x.value).filter(Boolean));
  assert.ok(kinds.includes('incubator') && !kinds.includes('university'), 'only the kinds of the category are offered');
  await page.selectOption('#ed-kind', 'incubator');
  await page.click('.chain-picker details[data-chain="petrochemical"] summary');
  const link = await page.$eval('.chain-picker details[data-chain="petrochemical"] .chain-check.link input', (x) => x.value);
  await page.check(`.chain-picker input[value="${link}"]`);
  await page.fill('#ed-lat', '21.66');
  await page.selectOption('#ed-location_precision', 'street');
  await page.fill('#ed-available_area_m2', '1200');
  await page.fill('#ed-established', '1500');
  await page.fill('#ed-source', 'e2e: made with the site form');
  await page.click('dialog.site-editor button[type=submit]');
  // The server's rule (a year within 1800…2100), in its words, next to the field.
  await page.waitForSelector('#ed-established-error:not([hidden])');
  assert.ok((await page.textContent('#ed-established-error')).includes('1800'), await page.textContent('#ed-established-error'));
  assert.ok((await page.textContent('dialog.site-editor .form-error')).includes('服务器未接受'));
  await page.screenshot({ path: join(ARTIFACTS, 'edit-new-site-422.png') });
  assert.equal((await site(id)).status, 404);

  await page.fill('#ed-established', '2019');
  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor', { state: 'detached' });
  await settled(page);
  assert.equal(await page.getAttribute('#card', 'data-id'), id, 'its card is open');
  assert.equal(await page.textContent('#card-status'), '已创建“表单新建孵化器”。');
  assert.ok((await listIds(page)).includes(id), 'in the list');
  const made = await site(id);
  assert.equal(made.status, 200);
  const p = made.feature.properties;
  assert.deepEqual([p.name_zh, p.name_en, p.category, p.kind, p.chains, p.location_precision, p.available_area_m2, p.established],
    ['表单新建孵化器', 'Form-made Incubator', 'carrier_platform', 'incubator', link, 'street', 1200, 2019]);
  assert.deepEqual(made.feature.geometry.coordinates, [110.93, 21.66]);
  await finish(o, [{ status: 422, route: 'sites' }]);
});

test('every card says how old the record is; an editor marks it verified today', T, async () => {
  const id = 'scau';
  const was = await site(id);
  const old = await apiSend(suite.server.origin, `sites/${id}`, { method: 'PATCH', token: suite.token, ifMatch: was.version, body: { properties: { verified_at: '2024-03-01' } } });
  assert.equal(old.status, 200, JSON.stringify(old.body));

  const reader = await open(`/?site=${id}`);
  await reader.page.waitForSelector('#card:not([hidden])');
  const age = await reader.page.textContent('#card .verified-age');
  assert.match(age, /^核实于 [\d,]+ 天前（2024-03-01）$/);
  assert.equal(await reader.page.textContent('#card .stale-note'), '超过一年未核实：信息可能已过时。');
  assert.equal(await reader.page.$('#card-verify'), null);
  await finish(reader);

  const o = await open(`/?site=${id}`, { signedIn: true });
  const { page } = o;
  await page.waitForSelector('#card-verify');
  await page.click('#card-verify');
  await page.waitForFunction(() => document.querySelector('#card-status')?.textContent === '已标记为今天核实。');
  await settled(page);
  const now = await site(id);
  assert.equal(now.version, was.version + 2);
  assert.equal(await page.textContent('#card .verified-age'), `今天已核实（${now.feature.properties.verified_at}）`);
  assert.equal(await page.$('#card .stale-note'), null, 'no warning any more');
  await finish(o);
});

test('drag to correct: the marker is dropped, confirmed, and the site is there with precision surveyed', T, async () => {
  // A point in the district that is not surveyed yet (a site without a location has nothing to drag).
  const all = await api(suite.server.origin, 'sites?limit=10000');
  const pick = all.features.find((f) => f.geometry && f.geometry.type === 'Point' && !f.properties.outside_district
    && f.properties.location_precision !== 'surveyed');
  assert.ok(pick, 'the default dataset has a located, not surveyed point in the district');
  const id = pick.properties.id;
  const was = await site(id);
  assert.notEqual(was.feature.properties.location_precision, 'surveyed');
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await openCard(page, id);
  await page.click('#card-move');
  await page.waitForSelector('.drag-marker');
  await page.waitForSelector('.drag-bar');
  await settled(page); // the map flies to the site
  assert.ok(await page.isHidden('#card'), 'the card steps aside while moving');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-drag.png') });

  const box = await page.locator('.drag-marker').boundingBox();
  const [dx, dy] = [70, -40];
  const from = [box.x + box.width / 2, box.y + box.height / 2];
  const expected = await page.evaluate(([lonLat, d]) => {
    const map = window.atlas.map;
    const p = map.project(lonLat);
    const q = map.unproject([p.x + d[0], p.y + d[1]]);
    return [q.lng, q.lat];
  }, [was.feature.geometry.coordinates, [dx, dy]]);
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  await page.mouse.move(from[0] + dx / 2, from[1] + dy / 2, { steps: 5 });
  await page.mouse.move(from[0] + dx, from[1] + dy, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('dialog.confirm[open]');
  assert.ok((await page.textContent('dialog.confirm')).includes('定位精度将设为“实测”'));
  await page.screenshot({ path: join(ARTIFACTS, 'edit-drag-confirm.png') });
  await page.click('dialog.confirm .confirm-yes');
  await page.waitForSelector('.drag-bar', { state: 'detached' });
  await settled(page);

  const now = await site(id);
  assert.equal(now.version, was.version + 1);
  const [lon, lat] = now.feature.geometry.coordinates;
  const off = await page.evaluate(([a, b]) => {
    const map = window.atlas.map;
    const p = map.project(a);
    const q = map.project(b);
    return Math.hypot(p.x - q.x, p.y - q.y);
  }, [[lon, lat], expected]);
  assert.ok(off < 3, `the site is where the marker was dropped (${off.toFixed(1)} px off)`);
  assert.equal(now.feature.properties.location_precision, 'surveyed');
  assert.ok(now.feature.properties.location_source.includes(EDITOR), `the source says who: ${now.feature.properties.location_source}`);
  assert.equal(now.feature.properties.approximate, false);

  assert.ok(await page.isVisible('#card'), 'the card is back');
  const fields = await page.$$eval('#card .fields dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.equal(fields['定位精度'], '实测', 'the card shows the new precision');
  assert.ok(fields['位置来源'].includes(EDITOR), 'and the source note');
  assert.equal(fields['坐标（WGS84）'], `${lon.toFixed(6)}, ${lat.toFixed(6)}`);
  assert.equal(await page.$('#card .approx-note'), null, 'no longer marked approximate');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-drag-done.png') });
  await finish(o);
});

test('upload with preview: the dry run lists the bad row; committing with skip-invalid adds the good rows', T, async () => {
  const csv = [
    'id,name_zh,name_en,category,kind,status,source,lon,lat,location_precision',
    'e2e-upload-good-1,上传测试孵化器,Upload Test Incubator,carrier_platform,incubator,operating,e2e upload test,110.91,21.66,street',
    'e2e-upload-bad,上传测试错误行,Upload Bad Row,carrier_platform,incubator,operating,e2e upload test,110.92,95,street',
    'e2e-upload-good-2,上传测试企业,Upload Test Enterprise,key_enterprise,enterprise,operating,e2e upload test,,,',
    '',
  ].join('\n');
  const before = await api(suite.server.origin, 'sites?limit=1');
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await page.click('#btn-upload');
  await page.waitForSelector('dialog.upload[open]');
  await page.setInputFiles('#up-file', { name: 'upload-test.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  assert.equal(await page.textContent('#up-file-name'), 'upload-test.csv');
  await page.click('#up-dry');
  await page.waitForSelector('#up-report .upload-counts');
  const errors = await page.$$eval('#up-report .row-errors tbody tr', (trs) => trs.map((tr) => ({
    line: tr.querySelector('.line').textContent, column: tr.querySelector('.column').textContent, reason: tr.querySelector('.reason').textContent,
  })));
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].line, '3', 'the bad row is line 3 of the file');
  assert.equal(errors[0].column, 'lat');
  assert.ok(errors[0].reason.length > 0);
  assert.equal(await page.getAttribute('#up-report .count-countRows', 'data-count'), '3');
  assert.ok(await page.isDisabled('#up-commit'), 'no commit while rows are invalid and not skipped');
  assert.ok((await page.textContent('#up-note')).includes('有 1 处错误'));
  await page.screenshot({ path: join(ARTIFACTS, 'edit-upload-report.png') });
  assert.equal((await site('e2e-upload-good-1')).status, 404, 'the dry run wrote nothing');

  // Ticking "skip" checks again: the counts then say what the import will do.
  await page.check('#up-skip');
  await page.waitForSelector('#up-commit:not([disabled])');
  assert.equal(await page.getAttribute('#up-report .count-countInserted', 'data-count'), '2');
  assert.equal(await page.getAttribute('#up-report .count-countSkipped', 'data-count'), '1');
  assert.ok((await page.textContent('#up-note')).includes('将跳过无效行'));
  assert.equal((await site('e2e-upload-good-1')).status, 404, 'still nothing written');
  await page.click('#up-commit');
  await page.waitForFunction(() => /导入完成/.test(document.querySelector('#up-note').textContent));
  assert.ok((await page.textContent('#up-note')).includes('新增 2'), await page.textContent('#up-note'));
  await page.screenshot({ path: join(ARTIFACTS, 'edit-upload-done.png') });
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.upload', { state: 'detached' });
  await settled(page);

  const ids = await listIds(page);
  assert.ok(ids.includes('e2e-upload-good-1') && ids.includes('e2e-upload-good-2'), 'the new sites are in the list');
  assert.ok(!ids.includes('e2e-upload-bad'), 'the bad row was skipped');
  const now = await api(suite.server.origin, 'sites?limit=1');
  assert.equal(now.numberMatched, before.numberMatched + 2);
  assert.equal(await page.textContent('#result-count'), `${now.numberMatched} 处站点`, 'the count follows');
  assert.equal((await site('e2e-upload-bad')).status, 404);
  // A dry run of a file with invalid rows may answer 422 with the report (the page shows it the same).
  await finish(o, o.problems.some((p) => p.startsWith('HTTP 422: ')) ? [{ status: 422, route: 'import' }] : []);
});

test('history shows the edit (who, when, before → after) and "revert to this" brings the old name back', T, async () => {
  const id = 'maoming-polytechnic';
  const was = await site(id);
  const oldName = was.feature.properties.name_zh;
  const newName = `${oldName}（误改）`;
  const o = await open('/', { signedIn: true });
  const { page } = o;
  await openCard(page, id);
  await page.click('#card-edit');
  await page.waitForSelector('dialog.site-editor[open]');
  await page.fill('#ed-name_zh', newName);
  await page.click('dialog.site-editor button[type=submit]');
  await page.waitForSelector('dialog.site-editor', { state: 'detached' });
  await settled(page);
  assert.equal(await page.textContent('#card-title'), newName);

  await page.click('#card-history');
  await page.waitForSelector('dialog.history .revision');
  const revs = await page.$$eval('dialog.history .revision', (lis) => lis.map((li) => ({
    rev: li.dataset.rev,
    action: li.dataset.action,
    who: li.querySelector('.rev-who').textContent,
    revert: !!li.querySelector('.revert'),
    changes: [...li.querySelectorAll('.changes tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
  })));
  assert.ok(revs.length >= 2, JSON.stringify(revs));
  assert.equal(revs[0].action, 'update');
  assert.equal(revs[0].who, EDITOR);
  assert.equal(revs[0].revert, false, 'no revert to the current state');
  assert.deepEqual(revs[0].changes.find((c) => c[0] === '中文名称'), ['中文名称', oldName, newName], 'before → after, as text');
  assert.ok(revs[1].revert, 'an earlier revision can be restored');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-history.png') });

  await page.click(`dialog.history .revision[data-rev="${revs[1].rev}"] .revert`);
  await page.waitForSelector('dialog.confirm[open]');
  await page.click('dialog.confirm .confirm-yes');
  await page.waitForFunction(() => /已恢复到修订/.test(document.querySelector('dialog.history .dialog-status')?.textContent || ''));
  await settled(page);
  const top = await page.$eval('dialog.history .revision', (li) => li.dataset.action);
  assert.equal(top, 'revert', 'the revert is itself in the history');
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.history', { state: 'detached' });

  const now = await site(id);
  assert.equal(now.feature.properties.name_zh, oldName, 'the API has the old name again');
  assert.equal(now.version, was.version + 2);
  assert.equal(await page.textContent('#card-title'), oldName, 'and the card');
  assert.ok((await rowText(page, id)).includes(oldName), 'and the list');
  await finish(o);
});

test('delete a site, then restore it from the recently-deleted list', T, async () => {
  const id = 'whut';
  const was = await site(id);
  const o = await open('/', { signedIn: true });
  const { page } = o;
  const count = Number((await page.textContent('#result-count')).replace(/\D/g, ''));
  await openCard(page, id);
  await page.click('#card-delete');
  await page.waitForSelector('dialog.confirm[open]');
  assert.ok((await page.textContent('dialog.confirm')).includes(was.feature.properties.name_zh));
  await page.click('dialog.confirm .confirm-yes');
  await page.waitForSelector('#card', { state: 'hidden' });
  await settled(page);
  assert.equal(await page.$(`#row-${id}`), null, 'gone from the list');
  assert.equal(await page.textContent('#result-count'), `${count - 1} 处站点`);
  assert.equal((await site(id)).status, 404, 'gone from the API');
  assert.ok((await page.textContent('#status-line')).includes('已删除'));

  await page.click('#btn-deleted');
  await page.waitForSelector(`dialog.deleted li[data-id="${id}"]`);
  assert.ok((await page.textContent(`dialog.deleted li[data-id="${id}"]`)).includes(EDITOR), 'who deleted it');
  await page.screenshot({ path: join(ARTIFACTS, 'edit-deleted-list.png') });
  await page.click(`dialog.deleted li[data-id="${id}"] .restore`);
  await page.waitForFunction(() => /已恢复/.test(document.querySelector('dialog.deleted .dialog-status')?.textContent || ''));
  await settled(page);
  assert.equal(await page.$(`dialog.deleted li[data-id="${id}"]`), null);
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.deleted', { state: 'detached' });
  await settled(page);
  assert.ok(await page.$(`#row-${id}`), 'back in the list');
  assert.equal(await page.textContent('#result-count'), `${count} 处站点`);
  assert.equal(await page.getAttribute('#card', 'data-id'), id, 'its card is open');
  const now = await site(id);
  assert.equal(now.status, 200);
  assert.equal(now.feature.properties.name_zh, was.feature.properties.name_zh);
  await finish(o);
});

test('a name that looks like HTML is shown as text: no element, no script, no alert', T, async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const created = await apiSend(suite.server.origin, 'sites', {
    method: 'POST',
    token: suite.token,
    body: {
      type: 'Feature',
      id: 'e2e-xss',
      geometry: { type: 'Point', coordinates: [110.9, 21.67] },
      properties: {
        id: 'e2e-xss', name_zh: evil, name_en: '<script>alert(2)</script>', category: 'key_enterprise', kind: 'enterprise',
        source: 'e2e test "><svg onload=alert(3)>', notes: '<b>not bold</b>', location_precision: 'street',
      },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  for (const signedIn of [false, true]) {
    const o = await open('/?site=e2e-xss', { signedIn });
    const { page } = o;
    await page.waitForSelector('#card[data-id="e2e-xss"]:not([hidden])');
    await settled(page);
    assert.equal(await page.textContent('#card-title'), evil, 'the name shows literally');
    assert.equal(await page.textContent('#card .name-en'), '<script>alert(2)</script>');
    assert.ok((await rowText(page, 'e2e-xss')).includes(evil), 'in the list too');
    const injected = await page.evaluate(() => ({
      // The symbols are images the page draws itself (data URLs); no other image may appear.
      img: document.querySelectorAll('img[src="x"], #card img:not(.symbol), #list img:not(.symbol)').length
        + [...document.querySelectorAll('img.symbol')].filter((i) => !i.src.startsWith('data:image/png;base64,')).length,
      script: [...document.scripts].filter((s) => !s.src).length,
      svg: document.querySelectorAll('#card svg').length,
      bold: document.querySelectorAll('#card b').length,
    }));
    assert.deepEqual(injected, { img: 0, script: 0, svg: 0, bold: 0 }, 'no element was made from the data');
    if (signedIn) {
      await page.click('#card-edit');
      await page.waitForSelector('dialog.site-editor[open]');
      assert.equal(await page.inputValue('#ed-name_zh'), evil, 'the form holds the text');
      assert.ok((await page.textContent('dialog.site-editor h2')).includes(evil));
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog.site-editor', { state: 'detached' });
      await page.click('#card-history');
      await page.waitForSelector('dialog.history .revision');
      assert.ok((await page.textContent('dialog.history h2')).includes(evil));
      assert.equal(await page.$$eval('dialog img', (x) => x.length), 0);
      await page.keyboard.press('Escape');
    }
    await settled(page);
    assert.ok(!o.requests.some((u) => /\/x$/.test(u)), 'no image was requested');
    await page.screenshot({ path: join(ARTIFACTS, `edit-xss${signedIn ? '-editor' : ''}.png`) });
    await finish(o);
  }
});

test('at 360 px the staff bar, the card tools, the form and the upload fit; English too; keyboard works', T, async () => {
  const o = await open('/?site=gdut', { signedIn: true, viewport: { width: 360, height: 740 } });
  const { page } = o;
  await page.waitForSelector('#card .card-edit');
  await settled(page);
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= 360);
  assert.ok(await fits(), 'no horizontal scrolling');
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-editor-card.png') });

  // Keyboard: the form opens from the card, Tab stays inside the dialog, Esc closes it and gives
  // the focus back.
  await page.focus('#card-edit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog.site-editor[open]');
  for (let i = 0; i < 60; i++) await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => !!document.activeElement.closest('dialog')), 'focus stays in the dialog');
  const box = await page.$eval('dialog.site-editor', (d) => d.getBoundingClientRect().toJSON());
  assert.ok(box.left >= 0 && box.right <= 360, 'the form fits the screen');
  assert.ok(await fits());
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-edit-form.png') });
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.site-editor', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'card-edit', 'focus is back on the button');

  await page.click('#btn-lang');
  await settled(page);
  assert.equal(await page.textContent('#staff-who'), `Signed in: ${EDITOR} (editor)`);
  assert.equal(await page.textContent('#card-edit'), 'Edit');
  assert.equal(await page.evaluate(() => window.atlas.missingKeys().length), 0, 'every string in both languages');
  await page.click('#btn-upload');
  await page.waitForSelector('dialog.upload[open]');
  assert.equal(await page.textContent('dialog.upload h2'), 'Upload a spreadsheet (CSV / XLSX)');
  const ub = await page.$eval('dialog.upload', (d) => d.getBoundingClientRect().toJSON());
  assert.ok(ub.left >= 0 && ub.right <= 360);
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-upload-en.png') });
  await page.keyboard.press('Escape');
  await page.click('#card-move');
  await page.waitForSelector('.drag-bar');
  assert.ok(await fits());
  await page.screenshot({ path: join(ARTIFACTS, 'mobile-360-drag-en.png') });
  // The marker by keyboard: arrows move it, Enter asks; "cancel" puts it back, Esc leaves.
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('drag-marker')), true, 'the marker has the focus');
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog.confirm[open]');
  assert.ok((await page.textContent('dialog.confirm')).includes('precision becomes "surveyed"'));
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.confirm', { state: 'detached' });
  assert.ok(await page.isVisible('.drag-bar'), 'still moving after cancel');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.drag-bar', { state: 'detached' });
  assert.ok(await page.isVisible('#card'));
  await finish(o);
});
