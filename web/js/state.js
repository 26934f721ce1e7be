// @ts-check
// The shape of the page's state (held by the store, see store.js): what the URL says, what the
// last fetches brought, the selection and an editor's version of it.

/** @typedef {import('./urlstate.js').UrlState} UrlState */
/** @typedef {import('./sites.js').Feature} Feature */
/** @typedef {{key: string | null, data: any, error: string | null}} Fetched  a fetched document and what it was fetched for */
/** @typedef {{features: Feature[], matched: number | null, error: string | null}} Unlocated  `matched` null: the server counts no precision */
/** @typedef {[[number, number], [number, number]]} Bounds */

/**
 * @typedef {object} State
 * @property {import('./urlstate.js').Filter} filter
 * @property {'category' | 'chain'} color
 * @property {import('./urlstate.js').View | null} view
 * @property {string | null} site  the selected site
 * @property {number | null} weak  the chain view's weak threshold; null = the server's default
 * @property {boolean} townTotals  the township totals layer is on
 * @property {'sites' | 'match'} tab  the sidebar tab
 * @property {Fetched} analysis  the chain view's analysis
 * @property {Fetched} townCounts  /divisions/counts of the current filter
 * @property {'tiles' | 'geojson'} mode  how the map draws the sites (sitepages.js mapMode, at load)
 * @property {Feature[]} features  the filter's sites loaded so far, in the API's order: all of
 *   them on the GeoJSON path (the map draws them), the list's pages on the tile path
 * @property {Map<string, Feature>} byId
 * @property {number} matched  how many sites the filter matches (numberMatched)
 * @property {Bounds | null} bounds  where the filter's sites are (tile path: the TileJSON's bounds)
 * @property {Record<string, any[]> | null} facets  counts per value of the filter's result
 * @property {Unlocated} unlocated  the filter's sites without a location (the 位置待定 tray)
 * @property {number} listShown  list rows rendered
 * @property {Feature | null} selectedFeature
 * @property {{id: string, etag: string} | null} version  (editors) what a write's If-Match holds
 * @property {{id: string, text: string, error: boolean} | null} cardNote  the card's status line
 * @property {any} indicators  the progress board's indicators (null: fetch again)
 * @property {Record<string, any>} config  /config.json
 * @property {string[]} errors  the map's errors (read by the tests)
 */

/**
 * The state at page load.
 * @param {UrlState} url  the state in the URL
 * @param {number} listShown
 * @returns {State}
 */
export function initialState(url, listShown) {
  return {
    filter: url.filter,
    color: url.color,
    view: url.view,
    site: url.site,
    weak: url.weak,
    townTotals: url.townTotals,
    tab: url.tab,
    analysis: { key: null, data: null, error: null },
    townCounts: { key: null, data: null, error: null },
    mode: 'geojson',
    features: [],
    byId: new Map(),
    matched: 0,
    bounds: null,
    facets: null,
    unlocated: { features: [], matched: null, error: null },
    listShown,
    selectedFeature: null,
    version: null,
    cardNote: null,
    indicators: null,
    config: {},
    errors: [],
  };
}
