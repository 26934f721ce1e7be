// @ts-check
// Building DOM from data: every value goes in as text (textContent / text nodes), never as HTML.

/**
 * `h('li', {class: 'row', 'data-id': id, onclick: fn}, 'text', childNode, …)`.
 * Attributes starting with `on` are listeners; `null`/`false` attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Removes every child. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** `document.getElementById`. */
export const $ = (id) => document.getElementById(id);

/** A debounced function. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Runs `fn` (which rebuilds `box`) and gives focus back to the element with the same id. */
export function keepFocus(box, fn) {
  const active = document.activeElement;
  const id = active && box.contains(active) ? active.id : null;
  fn();
  if (id && document.getElementById(id)) document.getElementById(id).focus();
}
