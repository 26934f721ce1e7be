// @ts-check
// Modal dialogs on the native <dialog> element: showModal() makes the rest of the page inert (focus
// stays inside), Esc closes, and focus goes back to where it was. Content is built with h().

import { t } from './i18n.js';
import { h } from './dom.js';

const FOCUSABLE = 'input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * Opens a modal dialog. `content` is a node (or list); `focus` a selector or element to focus
 * first (default: the first field, else the first button). Resolves nothing; returns
 * `{el, body, close(), onClose(fn)}`.
 */
export function openDialog({ title, content, className = '', focus = null, wide = false, id = null }) {
  const opener = document.activeElement;
  const titleId = `dlg-title-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div', { class: 'dialog-body' }, content);
  const closers = [];
  const el = h('dialog', { class: `dialog ${wide ? 'wide ' : ''}${className}`, 'aria-labelledby': titleId, id },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'close', 'aria-label': t('close'), title: t('close'), onclick: () => close() }, '×')),
    body);
  let open = true;
  function close(result) {
    if (!open) return;
    open = false;
    if (el.open) el.close();
    el.remove();
    for (const fn of closers) fn(result);
    // The opener may have been re-rendered meanwhile (a card after a save): find it by its id.
    let back = opener;
    if (back && !back.isConnected && back.id) back = document.getElementById(back.id);
    if (back && back.isConnected && back instanceof HTMLElement) back.focus();
  }
  // Esc: the browser fires `cancel`; closing through close() keeps the bookkeeping in one place.
  el.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  // Tab and Shift+Tab cycle inside the dialog (the page behind is inert anyway).
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...el.querySelectorAll(FOCUSABLE)].filter((x) => x.getClientRects().length && !x.closest('[inert]'));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || !el.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !el.contains(document.activeElement))) {
      e.preventDefault();
      first.focus();
    }
  });
  document.body.appendChild(el);
  el.showModal();
  const first = typeof focus === 'string' ? el.querySelector(focus) : focus;
  const target = first || body.querySelector(FOCUSABLE) || el.querySelector('.close');
  if (target) target.focus();
  return {
    el,
    body,
    close,
    get open() {
      return open;
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = false, details = null }) {
  return new Promise((resolve) => {
    let answered = false;
    const yes = h('button', { type: 'button', class: `button ${danger ? 'danger' : 'primary'} confirm-yes` }, confirmLabel);
    const no = h('button', { type: 'button', class: 'confirm-no' }, t('cancel'));
    const dlg = openDialog({
      title,
      className: 'confirm',
      content: [h('p', { class: 'confirm-message' }, message), details, h('div', { class: 'form-actions' }, yes, no)],
      focus: yes,
    });
    yes.addEventListener('click', () => {
      answered = true;
      dlg.close();
      resolve(true);
    });
    no.addEventListener('click', () => dlg.close());
    dlg.onClose(() => {
      if (!answered) resolve(false);
    });
  });
}

/** Is a modal dialog of ours open? (Esc and map shortcuts leave the page alone then.) */
export function dialogOpen() {
  return !!document.querySelector('dialog.dialog[open]');
}
