// @ts-check
// The page's one state store: a plain object, changed only through `set`, which tells the views
// that subscribed to the changed keys. Views read `store.state` when they render; the URL holds
// part of it (see urlstate.js), the rest is what the last fetches brought.

/**
 * @template {Record<string, any>} S
 * @typedef {object} Store
 * @property {S} state  read freely; change through `set`
 * @property {(patch: Partial<S>) => void} set  assigns the keys that differ, then notifies their subscribers once each
 * @property {(keys: (keyof S)[], fn: (state: S) => void) => () => void} subscribe  returns the unsubscribe
 */

/**
 * @template {Record<string, any>} S
 * @param {S} initial
 * @returns {Store<S>}
 */
export function createStore(initial) {
  const state = initial;
  /** @type {{keys: Set<keyof S>, fn: (state: S) => void}[]} */
  const subscribers = [];
  return {
    state,
    set(patch) {
      /** @type {Set<keyof S>} */
      const changed = new Set();
      for (const k of /** @type {(keyof S)[]} */ (Object.keys(patch))) {
        if (!Object.is(state[k], patch[k])) {
          state[k] = /** @type {S[keyof S]} */ (patch[k]);
          changed.add(k);
        }
      }
      if (!changed.size) return;
      for (const s of [...subscribers]) {
        if ([...s.keys].some((k) => changed.has(k))) s.fn(state);
      }
    },
    subscribe(keys, fn) {
      const s = { keys: new Set(keys), fn };
      subscribers.push(s);
      return () => {
        const i = subscribers.indexOf(s);
        if (i >= 0) subscribers.splice(i, 1);
      };
    },
  };
}
