// @ts-check
// The editing tools of a signed-in editor (a reader gets none of them): the staff bar (new site,
// upload, deleted sites, sign-out), the card's actions (edit, verify, move on the map, history,
// delete) and, after every write, the reload of everything that shows data.
// js/edit/ is all of the staff's code (signing in, editing, importing, the 待定位 worklist): the
// page loads it on demand (main.js, through `openStaffTools`), and a published map has none of it.

import { t } from '../i18n.js';
import { h, $ } from '../dom.js';
import * as auth from './auth.js';
import { renderStaff, openSignIn } from './staff.js';
import { openSiteForm, fetchSite, verifySite, deleteSite, errorText, MoveMode } from './editor.js';
import { openHistory, openDeleted } from './history.js';
import { openUpload } from './upload.js';
import { mountWorklist } from './worklist.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */

/** The editing tools of one page (mounted once). */
export class EditingTools {
  /** @param {App} app */
  constructor(app) {
    this.app = app;
    this.moveMode = new MoveMode({
      map: () => app.mapNow(),
      onSaved: (/** @type {string} */ id) => app.track(this.afterWrite(id)),
      onStatus: (/** @type {string} */ msg, /** @type {boolean} */ isError) => (app.state.site ? app.card.note(app.state.site, msg, isError) : app.showStatus(msg, isError)),
      onEnd: ({ focusCard }) => {
        if (focusCard && app.card.isOpen()) $('card').focus();
      },
    });
  }

  renderStaffBar() {
    renderStaff(auth.currentUser(), {
      onNewSite: () => this.newSite(),
      onUpload: () => openUpload({ onImported: () => this.app.track(this.afterWrite(null, { focus: false })) }),
      onDeleted: () => openDeleted({ onRestored: (/** @type {string} */ id) => this.app.track(this.afterWrite(id, { focus: false, fly: true })) }),
      onWorklist: () => this.app.worklist.toggle(),
      worklistOpen: this.app.worklist ? this.app.worklist.isOpen() : false,
      onSignOut: () => {
        auth.signOut();
        this.app.showStatus(t('signedOut'));
        $('btn-signin').focus();
      },
    });
  }

  onAuthChange() {
    if (!auth.canEdit()) {
      this.moveMode.stop();
      if (this.app.worklist) this.app.worklist.close();
      this.app.state.version = null;
      this.app.state.cardNote = null;
    }
    this.renderStaffBar();
    if (this.app.state.site && this.app.state.selectedFeature) {
      if (auth.canEdit()) this.app.select(this.app.state.site, { push: false });
      else this.app.card.show(this.app.state.selectedFeature);
    }
  }

  /** The card's editing buttons: only for a signed-in editor (a reader's card has none at all). @param {Feature} f */
  editActionsFor(f) {
    if (!auth.canEdit()) return null;
    const p = f.properties || {};
    // Drag-to-correct moves a point; a site without a location is located from the 待定位 worklist.
    const point = !!f.geometry && f.geometry.type === 'Point';
    /** @param {string} id @param {string} cls @param {string} label @param {(e: any) => void} fn */
    const btn = (id, cls, label, fn) => h('button', { type: 'button', id, class: cls, onclick: fn }, label);
    const note = this.app.state.cardNote && this.app.state.cardNote.id === p.id ? this.app.state.cardNote : null;
    return h('div', { class: 'card-edit', role: 'group', 'aria-label': t('editorActions') },
      btn('card-edit', 'edit', t('edit'), () => this.editSite(f)),
      btn('card-verify', 'verify', t('verify'), (e) => this.verify(f, e.currentTarget)),
      point ? btn('card-move', 'move', t('moveOnMap'), () => this.app.track(this.startMove(f))) : null,
      btn('card-history', 'history', t('history'), () => this.showHistory(f)),
      btn('card-delete', 'delete danger', t('delete'), () => this.removeSite(f)),
      h('p', { class: 'card-status' + (note && note.error ? ' error' : ''), id: 'card-status', role: 'status' }, note ? note.text : ''));
  }

  /**
   * An editor's record as it is now, with its version (the If-Match of a write); null for a reader.
   * @param {string} id @returns {Promise<{feature: Feature, version: string | null} | null>}
   */
  async fresh(id) {
    return auth.canEdit() ? fetchSite(id) : null;
  }

  /** The message of a failed request, as staff read it. @param {any} e */
  errorText(e) {
    return errorText(e);
  }

  /** @param {string} id */
  versionOf(id) {
    return this.app.state.version && this.app.state.version.id === id ? this.app.state.version.etag : null;
  }

  /** The record and version the editor is looking at (fetched when not known). @param {Feature} f */
  async current(f) {
    const id = f.properties.id;
    const v = this.versionOf(id);
    if (v) return { feature: f, version: v };
    const fresh = await fetchSite(id);
    this.app.state.version = { id, etag: fresh.version };
    return fresh;
  }

  /**
   * After a write: everything that shows data is fetched again (the map, the list, the counts, the
   * chain view), then the written site's card, as it is now.
   * @param {string | null} id
   */
  async afterWrite(id, { focus = true, fly = false } = {}) {
    this.app.state.indicators = null;
    this.app.state.analysis.key = null;
    this.app.state.townCounts.key = null;
    await this.app.reload();
    if (id) await this.app.select(id, { fly, push: this.app.state.site !== id });
    if (focus && id && this.app.card.isOpen() && (!document.activeElement || document.activeElement === document.body)) $('card').focus();
  }

  /** @param {Feature} f */
  async editSite(f) {
    let cur;
    try {
      cur = await this.current(f);
    } catch (e) {
      this.app.card.note(f.properties.id, errorText(e), true);
      return;
    }
    openSiteForm({
      feature: cur.feature,
      version: cur.version,
      onSaved: (_, { id, name }) => {
        this.app.state.cardNote = { id, text: t('saved', { name }), error: false };
        this.app.track(this.afterWrite(id));
      },
    });
  }

  newSite() {
    openSiteForm({
      feature: null,
      onSaved: (_, { id, name }) => {
        this.app.state.cardNote = { id, text: t('created', { name }), error: false };
        this.app.track(this.afterWrite(id, { fly: true }));
      },
    });
  }

  /** @param {Feature} f @param {HTMLButtonElement} btn */
  async verify(f, btn) {
    const id = f.properties.id;
    btn.disabled = true;
    btn.textContent = t('verifying');
    try {
      const cur = await this.current(f);
      await verifySite(id, cur.version);
      this.app.state.cardNote = { id, text: t('verifyDone'), error: false };
      await this.app.track(this.afterWrite(id));
    } catch (e) {
      btn.disabled = false;
      btn.textContent = t('verify');
      this.app.card.note(id, errorText(e), true);
      if (e.status === 412) this.app.track(this.afterWrite(id));
    }
  }

  /** @param {Feature} f */
  async startMove(f) {
    try {
      const cur = await this.current(f);
      this.moveMode.start(cur.feature, cur.version);
    } catch (e) {
      this.app.card.note(f.properties.id, errorText(e), true);
    }
  }

  /** @param {Feature} f */
  showHistory(f) {
    openHistory({
      feature: f,
      getVersion: () => this.versionOf(f.properties.id),
      onReverted: (/** @type {string} */ id) => this.app.track(this.afterWrite(id, { focus: false })),
    });
  }

  /** @param {Feature} f */
  async removeSite(f) {
    const p = f.properties;
    try {
      const cur = await this.current(f);
      if (!(await deleteSite(cur.feature, cur.version))) return;
    } catch (e) {
      this.app.card.note(p.id, errorText(e), true);
      if (e.status === 412) this.app.track(this.afterWrite(p.id));
      return;
    }
    this.app.card.close({ push: true });
    await this.app.track(this.afterWrite(null));
    this.app.showStatus(t('deleted', { name: p.name_zh || p.id }));
    $('list').focus();
  }
}

/**
 * The staff's tools of the page, once the session a page reload kept is restored.
 * @returns {Promise<{mountEditing: typeof mountEditing, mountWorklist: typeof mountWorklist, currentUser: typeof auth.currentUser}>}
 */
export async function openStaffTools() {
  await auth.restore();
  return { mountEditing, mountWorklist, currentUser: auth.currentUser };
}

/** @param {App} app */
function mountEditing(app) {
  const tools = new EditingTools(app);
  $('btn-signin').addEventListener('click', () => openSignIn({
    onSignedIn: () => {
      const first = $('btn-new-site') || $('btn-signout');
      if (first) first.focus();
    },
  }));
  auth.onChange(() => tools.onAuthChange());
  tools.renderStaffBar();
  return tools;
}
