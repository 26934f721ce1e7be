// @ts-check
// The chain view panel in the sidebar: the analysis of the filter's chain (see chainview.js),
// rendered from the store's `analysis`; a link filters, the weak threshold refetches.

import { $, keepFocus } from '../dom.js';
import { renderChainView } from '../chainview.js';
import { symbolIcon } from '../symbols.js';
import * as L from '../labels.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../urlstate.js').Filter} Filter */

/**
 * The chain of the chain view: the filter's chain, else the chain of the filter's link.
 * @param {Filter} filter
 * @returns {string}
 */
export function chainViewChain(filter) {
  if (filter.chain) return filter.chain.split(',')[0];
  if (filter.link) return L.chainOfLink(filter.link.split(',')[0]) || '';
  return '';
}

/** @param {App} app */
export function mountChainPanel(app) {
  const { state } = app;
  function render() {
    const chain = chainViewChain(state.filter);
    keepFocus($('chain-view'), () => renderChainView($('chain-view'), {
      chainId: chain,
      analysis: state.analysis.data,
      error: state.analysis.error,
      activeLink: state.filter.link,
      weakBelow: state.weak,
      onLink: (/** @type {string} */ id) => app.setFilter(id ? { chain: chainViewChain(state.filter), link: id } : { link: '' }),
      onWeak: (/** @type {number} */ n) => {
        state.weak = n;
        app.commit(false);
        app.ensureAnalysis();
      },
      onSite: (/** @type {string} */ id) => app.select(id, { fly: true }),
      symbolFor: (/** @type {string} */ cat) => {
        const st = app.categoryStyle(cat);
        return symbolIcon(st.shape, 'solid', st.color, 13);
      },
    }));
  }
  return { render };
}
