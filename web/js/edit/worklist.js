// @ts-check
// The editors' 待定位 worklist (nothing of it exists for a reader): the sites of precision
// unknown, district or town (`sites?located=false`, ordered by the API: key enterprises, carrier
// platforms, then the rest), the counter "已定位 X / N" (N = all sites, X = N − the worklist's
// count), and locate mode (locateform.js) for the picked site. After a save everything that shows
// data is fetched again: the site leaves the tray and the worklist and appears on the map. The
// list comes a page at a time ("more" asks the API for the next page).

import { t, num } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { getJSON, apiUrl } from '../api.js';
import { latest } from '../latest.js';
import * as auth from './auth.js';
import * as L from '../labels.js';
import { locatedCount } from '../locate.js';
import { LocateMode } from './locateform.js';
import { errorText } from './editor.js';
import { listKeys } from '../views/list.js';
import { PAGE_SIZE } from '../sitepages.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */

/** @param {Record<string, any>} p */
function workMeta(p) {
  return [
    L.vocabLabel('category', p.category, p.category_zh),
    p.town_code ? L.townLabel(p.town_code, p.town_name) : null,
    t('worklistMeta', { precision: L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh) }),
  ].filter(Boolean).join(' · ');
}

/** The worklist panel of one page (mounted once; built in the sidebar while open). */
class Worklist {
  /** @param {App} app */
  constructor(app) {
    this.app = app;
    this.channel = latest(app.track);
    /** @type {HTMLElement | null} */
    this.box = null;
    /** @type {{features: Feature[], unlocated: number, total: number, error: string | null}} */
    this.data = { features: [], unlocated: 0, total: 0, error: null };
    this.locate = new LocateMode({
      app,
      onSaved: (id, name) => {
        app.state.cardNote = { id, text: t('locateSaved', { name }), error: false };
        app.track(Promise.all([this.load(), app.editing.afterWrite(id, { focus: false, fly: true })]));
      },
      onConflict: (id, message) => {
        app.state.cardNote = { id, text: message, error: true };
        this.status(message, true);
        app.track(Promise.all([this.load(), app.editing.afterWrite(id, { focus: false })]));
      },
      onEnd: () => this.render(),
    });
  }

  /** @param {string} sel */
  part(sel) {
    return /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (this.box).querySelector(sel));
  }

  /** @param {string} text @param {boolean} [error] */
  status(text, error = false) {
    if (!this.box) return;
    const el = this.part('#worklist-status');
    el.textContent = text;
    el.classList.toggle('error', error);
  }

  build() {
    this.box = h('section', { id: 'worklist', class: 'worklist', 'aria-labelledby': 'worklist-title' },
      h('div', { class: 'worklist-head' },
        h('h2', { id: 'worklist-title' }, t('worklistTitle')),
        h('span', { id: 'worklist-counter', class: 'worklist-counter', 'aria-live': 'polite' }),
        h('button', { type: 'button', class: 'close', 'aria-label': t('close'), title: t('close'), onclick: () => this.close() }, '×')),
      h('p', { class: 'hint' }, t('worklistHint')),
      h('p', { id: 'worklist-status', class: 'status-line', role: 'status' }),
      h('div', { id: 'locate-box' }),
      h('ol', { id: 'worklist-list', class: 'site-list worklist-list', 'aria-labelledby': 'worklist-title', onkeydown: listKeys }),
      h('button', { type: 'button', id: 'worklist-more', class: 'more', hidden: true, onclick: () => this.app.track(this.more()) }));
    const sidebar = $('sidebar');
    sidebar.insertBefore(this.box, sidebar.firstChild);
  }

  /** @param {Feature} f */
  row(f) {
    const p = f.properties;
    const current = this.locate.siteId === p.id;
    return h('li', {},
      h('button', {
        type: 'button', class: 'row' + (current ? ' selected' : ''), id: `wl-row-${p.id}`, 'data-id': p.id,
        'aria-current': current ? 'true' : null, onclick: () => this.app.track(this.pick(f)),
      },
      h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, p.location_precision === 'unknown' ? '?' : '~'),
      h('span', { class: 'names' },
        h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
        p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
        h('span', { class: 'meta' }, workMeta(p)))));
  }

  render() {
    if (!this.box) return;
    const c = locatedCount(this.data.total, this.data.unlocated);
    const counter = this.part('#worklist-counter');
    counter.textContent = t('worklistCounter', { located: num(c.located), total: num(c.total) });
    counter.dataset.located = String(c.located);
    counter.dataset.total = String(c.total);
    const list = clear(this.part('#worklist-list'));
    if (this.data.error) this.status(t('loadError', { msg: this.data.error }), true);
    else if (!this.data.features.length) list.appendChild(h('li', { class: 'empty' }, t('worklistEmpty')));
    for (const f of this.data.features) list.appendChild(this.row(f));
    this.renderMore();
  }

  renderMore() {
    const more = this.part('#worklist-more');
    const left = this.data.unlocated - this.data.features.length;
    more.hidden = left <= 0 || !!this.data.error;
    more.textContent = t('more', { n: num(left) });
  }

  /** Appends the worklist's next page. */
  async more() {
    const data = this.data;
    const q = new URLSearchParams({ located: 'false', limit: String(PAGE_SIZE), offset: String(data.features.length) });
    try {
      const w = await getJSON(apiUrl('sites', q), { fresh: true });
      if (this.data !== data || !this.box) return; // loaded afresh meanwhile
      const got = w.features || [];
      data.features.push(...got);
      data.unlocated = got.length ? w.numberMatched ?? data.unlocated : data.features.length;
      const list = this.part('#worklist-list');
      for (const f of got) list.appendChild(this.row(f));
      this.renderMore();
    } catch (e) {
      this.status(t('loadError', { msg: /** @type {any} */ (e).message || String(e) }), true);
    }
  }

  /** Fetches the worklist's first page and the number of all sites (fresh: it changes with every locate). */
  load() {
    const wl = new URLSearchParams({ located: 'false', limit: String(PAGE_SIZE) });
    const all = new URLSearchParams({ limit: '1' });
    const get = (/** @type {URLSearchParams} */ q, /** @type {AbortSignal} */ signal) => getJSON(apiUrl('sites', q), { signal, fresh: true });
    return this.channel.run((signal) => Promise.all([get(wl, signal), get(all, signal)]), {
      ok: ([w, a]) => {
        const features = w.features || [];
        this.data = { features, unlocated: w.numberMatched ?? features.length, total: a.numberMatched ?? 0, error: null };
        this.render();
      },
      fail: (e) => {
        this.data = { ...this.data, error: e.message || String(e) };
        this.render();
      },
    });
  }

  /** Locate mode for `f`: its form above the list. @param {Feature} f */
  async pick(f) {
    this.status('');
    try {
      const form = await this.locate.start(f);
      if (!this.box) return this.locate.stop({ quiet: true });
      clear(this.part('#locate-box')).appendChild(form);
      this.render();
      form.scrollIntoView({ block: 'nearest' });
      const first = /** @type {HTMLElement | null} */ (form.querySelector('#locate-coords'));
      if (first) first.focus({ preventScroll: true });
    } catch (e) {
      this.status(errorText(e), true);
    }
  }

  open() {
    if (!auth.canEdit()) return Promise.resolve();
    if (!this.box) this.build();
    this.setPressed(true);
    this.render();
    return this.load();
  }

  close() {
    this.locate.stop({ quiet: true });
    this.channel.cancel();
    if (this.box) this.box.remove();
    this.box = null;
    this.setPressed(false);
  }

  toggle() {
    if (this.box) this.close();
    else this.app.track(this.open());
  }

  isOpen() {
    return !!this.box;
  }

  /** Labels again (language switch): built anew, locate mode restarted for the same site. */
  relabel() {
    if (!this.box) return;
    const was = this.locate.active;
    this.close();
    this.app.track(this.open());
    if (was) this.app.track(this.pick(was.feature));
  }

  /** @param {boolean} on */
  setPressed(on) {
    const b = document.getElementById('btn-worklist');
    if (b) b.setAttribute('aria-expanded', on ? 'true' : 'false');
  }
}

/** @param {App} app */
export function mountWorklist(app) {
  return new Worklist(app);
}
