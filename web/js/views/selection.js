// @ts-check
// The selected site: its record card, its list row and its halo on the map. An editor's card
// shows the record as it is now (fetched by the editing tools with its version, the If-Match of a
// write); a reader's comes from the list (or one GET when the site is not in it).

import { t } from '../i18n.js';
import { $ } from '../dom.js';
import { getJSON, apiUrl } from '../api.js';
import { renderCard } from '../card.js';
import { symbolIcon } from '../symbols.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */
/** @typedef {{fly?: boolean, push?: boolean, fromMap?: boolean}} SelectOpts */

/**
 * The record to show and its version (editors), or null when it could not be loaded.
 * @param {App} app
 * @param {string} id
 * @returns {Promise<{f: Feature, version: string | null} | null>}
 */
async function load(app, id) {
  let f = app.state.byId.get(id);
  try {
    // An editor sees the record as it is now, with the version a write will name in If-Match
    // (a reader's tools answer null).
    const fresh = await app.editing.fresh(id);
    if (fresh) return { f: fresh.feature, version: fresh.version };
  } catch (e) {
    if (!f) {
      app.showStatus(e.status ? app.editing.errorText(e) : t('loadError', { msg: e.message }), true);
      return null;
    }
    return { f, version: null };
  }
  if (!f) {
    try {
      f = await getJSON(apiUrl(`sites/${encodeURIComponent(id)}`));
    } catch (e) {
      app.showStatus(t('loadError', { msg: e.message }), true);
      return null;
    }
  }
  return { f, version: null };
}

/** Renders the card of `f`. @param {App} app @param {Feature} f */
function showCard(app, f) {
  const card = $('card');
  renderCard(card, f, {
    onClose: () => closeCard(app, { push: true, focusRow: true }),
    onPermalink: (/** @type {HTMLElement} */ btn) => app.copyLink(location.href, btn),
    onShowOnMap: () => {
      const pane = /** @type {HTMLElement} */ (document.querySelector('.map-pane'));
      if (pane.getBoundingClientRect().top < 0) pane.scrollIntoView({ block: 'start' });
      app.onMap((m) => m.flyToSite(f));
    },
    symbolFor: (/** @type {Record<string, any>} */ p) => {
      const st = app.categoryStyle(p.category);
      return symbolIcon(st.shape, p.approximate ? 'hollow' : 'solid', st.color, 18);
    },
    editActions: app.editActionsFor(f),
  });
  card.hidden = false;
  card.tabIndex = -1;
}

/** Closes the card; gives focus back to the site's row when asked. @param {App} app @param {{push?: boolean, focusRow?: boolean}} [o] */
function closeCard(app, { push = true, focusRow = false } = {}) {
  const { state } = app;
  const id = state.site;
  app.stopMove();
  state.site = null;
  state.selectedFeature = null;
  state.version = null;
  state.cardNote = null;
  $('card').hidden = true;
  app.list.highlight(null);
  app.matchPanel.highlight(null);
  app.onMap((m) => m.setSelection(null));
  if (push) app.commit(true);
  if (focusRow && id) {
    const row = document.getElementById(state.tab === 'match' ? `match-row-${id}` : `row-${id}`);
    if (row) row.focus();
  }
}

/**
 * A message in the card's status line (kept while the same site's card is re-rendered).
 * @param {App} app @param {string} id @param {string} text
 */
function cardNote(app, id, text, isError = false) {
  app.state.cardNote = { id, text, error: !!isError };
  const el = $('card-status');
  if (el && app.state.site === id) {
    el.textContent = text;
    el.classList.toggle('error', !!isError);
  } else app.showStatus(text, isError);
}

/** @param {App} app */
export function mountSelection(app) {
  const { state } = app;
  let selectSeq = 0;

  /** @param {string} id @param {SelectOpts} [o] */
  async function selectNow(id, { fly = false, push = true, fromMap = false } = {}) {
    const seq = ++selectSeq;
    const got = await load(app, id);
    if (!got || seq !== selectSeq) return; // failed, or a later selection won
    const { f, version } = got;
    if (state.cardNote && state.cardNote.id !== id) state.cardNote = null;
    state.site = id;
    state.selectedFeature = f;
    state.version = version ? { id, etag: version } : null;
    const map = app.mapNow();
    if (map) map.closePopup();
    app.list.reveal(state.features.findIndex((x) => x.properties.id === id));
    app.list.highlight(id);
    app.matchPanel.highlight(id);
    showCard(app, f);
    app.onMap((m) => {
      m.setSelection(f);
      if (fly) m.flyToSite(f);
    });
    if (push) app.commit(true);
    if (fromMap) $('card').focus();
  }

  return {
    /** Selects a site: card, list highlight, map halo; flies to it when asked. @param {string} id @param {SelectOpts} [o] */
    select: (id, o) => app.track(selectNow(id, o)),
    /** @param {Feature} f */
    show: (f) => showCard(app, f),
    /** @param {{push?: boolean, focusRow?: boolean}} [o] */
    close: (o) => closeCard(app, o),
    /** @param {string} id @param {string} text */
    note: (id, text, isError = false) => cardNote(app, id, text, isError),
    isOpen: () => !$('card').hidden,
  };
}
