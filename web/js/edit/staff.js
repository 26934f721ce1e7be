// @ts-check
// The staff controls: the "sign in" button (for everyone), the sign-in dialog, and — only while an
// editor or admin is signed in — the staff bar (who is signed in, new site, upload, recently
// deleted, the 待定位 worklist, sign out). Nothing of the bar exists in the page for a reader.

import { t } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import * as auth from './auth.js';
import { openDialog } from '../dialog.js';

/**
 * The sign-in dialog; resolves when it closes.
 * @param {{onSignedIn?: (user: any) => void}} [o]
 */
export function openSignIn({ onSignedIn } = {}) {
  const input = h('input', {
    type: 'password', id: 'signin-token', name: 'token', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', required: true, 'aria-describedby': 'signin-intro signin-error',
  });
  const error = h('p', { class: 'form-error', id: 'signin-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'signin-submit' }, t('signInSubmit'));
  const cancel = h('button', { type: 'button' }, t('cancel'));
  const form = h('form', { class: 'signin-form', novalidate: true, autocomplete: 'off' },
    h('p', { class: 'hint', id: 'signin-intro' }, t('signInIntro')),
    h('div', { class: 'field' }, h('label', { for: 'signin-token' }, t('tokenLabel')), input),
    error,
    h('div', { class: 'form-actions' }, submit, cancel));
  const dlg = openDialog({ title: t('signInTitle'), content: form, className: 'signin', focus: input });
  cancel.addEventListener('click', () => dlg.close());
  const fail = (msg) => {
    error.textContent = msg;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    input.select();
  };
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) return fail(t('signInEmpty'));
    submit.disabled = true;
    try {
      const user = await auth.signIn(token);
      input.value = '';
      dlg.close();
      if (onSignedIn) onSignedIn(user);
    } catch (err) {
      if (err.status === 401 || err.status === 403) fail(t('signInWrong'));
      else if (err.status === 429) fail(t('signInThrottled'));
      else fail(t('signInFailed', { msg: err.message || String(err) }));
    } finally {
      submit.disabled = false;
    }
  });
  return dlg;
}

/**
 * Shows the staff bar for the signed-in user (or removes it) and the sign-in button for readers.
 * `actions`: {onNewSite, onUpload, onDeleted, onWorklist, onSignOut}.
 */
export function renderStaff(user, actions) {
  const bar = $('staff-bar');
  const signin = $('btn-signin');
  clear(bar);
  if (!user) {
    bar.hidden = true;
    signin.hidden = false;
    return;
  }
  signin.hidden = true;
  bar.hidden = false;
  const roleKey = `role_${user.role}`;
  const role = t(roleKey) === roleKey ? user.role : t(roleKey);
  const who = h('span', { class: 'staff-who', id: 'staff-who', 'data-role': user.role }, t('signedInAs', { name: user.name, role }));
  const tools = auth.canEdit()
    ? h('span', { class: 'staff-tools', role: 'group', 'aria-label': t('staffTools') },
      h('button', { type: 'button', id: 'btn-new-site', onclick: actions.onNewSite }, t('newSite')),
      h('button', { type: 'button', id: 'btn-upload', title: t('uploadTitle'), onclick: actions.onUpload }, t('upload')),
      h('button', { type: 'button', id: 'btn-deleted', onclick: actions.onDeleted }, t('recentlyDeleted')),
      h('button', { type: 'button', id: 'btn-worklist', 'aria-controls': 'worklist', 'aria-expanded': actions.worklistOpen ? 'true' : 'false', onclick: actions.onWorklist }, t('worklist')))
    : h('span', { class: 'staff-note' }, t('readOnlyRole'));
  bar.append(who, tools, h('button', { type: 'button', id: 'btn-signout', class: 'signout', onclick: actions.onSignOut }, t('signOut')));
}
