// @ts-check
// The page's one fetch–abort–render pattern: a channel whose new request aborts the one before,
// and whose answers are rendered only while they are the latest (an aborted or overtaken request
// renders nothing). Every request is tracked, so `window.atlas.settled()` waits for it.

/**
 * @typedef {object} Latest
 * @property {<T>(load: (signal: AbortSignal) => Promise<T>, on: {ok: (data: T) => void, fail: (e: any) => void}) => Promise<void>} run
 *   starts a request (aborting the previous one); `ok` or `fail` only if it is still the latest
 * @property {() => void} cancel  aborts the running request; nothing of it will render
 */

/**
 * @param {(p: Promise<any>) => Promise<any>} track  registers work the page is waiting for
 * @returns {Latest}
 */
export function latest(track) {
  /** @type {AbortController | null} */
  let controller = null;
  let seq = 0;
  const cancel = () => {
    seq++;
    if (controller) controller.abort();
    controller = null;
  };
  return {
    run(load, { ok, fail }) {
      cancel();
      const mine = seq;
      controller = new AbortController();
      const job = load(controller.signal).then(
        (data) => {
          if (mine === seq) ok(data);
        },
        (e) => {
          if ((e && e.name === 'AbortError') || mine !== seq) return;
          fail(e);
        },
      );
      track(job);
      return job;
    },
    cancel,
  };
}
