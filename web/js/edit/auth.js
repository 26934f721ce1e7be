// @ts-check
// Staff sign-in: a bearer token (from `atlas user add NAME --role editor|admin`) pasted into the
// page, checked with `/api/v1/auth/me` and kept in this tab's sessionStorage only — never in
// localStorage, a cookie or the URL. Readers (nobody signed in) get no edit control at all.

import { send, apiUrl, setRevalidate } from '../api.js';

const KEY = 'atlas.token';
let token = null;
let user = null; // {name, role}
const listeners = new Set();

function stored() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function store(v) {
  try {
    if (v) sessionStorage.setItem(KEY, v);
    else sessionStorage.removeItem(KEY);
  } catch { /* storage off: the token lives in memory for this page only */ }
}

function notify() {
  for (const fn of listeners) fn(user);
}

/** Calls `fn(user|null)` after every sign-in and sign-out. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function currentUser() {
  return user;
}

export function currentToken() {
  return token;
}

/** Editors and admins may change sites. */
export function canEdit() {
  return !!user && (user.role === 'editor' || user.role === 'admin');
}

/**
 * Checks a token with the server; on success keeps it (session storage) and returns the user.
 * Rejects with the ApiError (401 wrong token, 429 too many attempts) and keeps nothing.
 */
export async function signIn(raw) {
  const t = String(raw || '').trim();
  const res = await send(apiUrl('auth/me'), { token: t });
  const me = res.data || {};
  token = t;
  user = { name: String(me.name ?? ''), role: String(me.role ?? '') };
  store(t);
  setRevalidate(true);
  notify();
  return user;
}

export function signOut() {
  token = null;
  user = null;
  store(null);
  notify();
}

/**
 * Restores this tab's session at page load: the stored token is checked again; a token the server
 * no longer accepts (revoked) is dropped. Resolves the user or null.
 */
export async function restore() {
  const t = stored();
  if (!t) return null;
  try {
    return await signIn(t);
  } catch (e) {
    if (e && (e.status === 401 || e.status === 403)) store(null);
    return null;
  }
}

/** A write failed with 401: the token was revoked meanwhile; forget it. */
export function expired() {
  if (!user) return;
  signOut();
}
