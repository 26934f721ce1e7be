// @ts-check
// The context the views mount against (types only; main.js builds it). A view module exports
// `mountX(app)`, which binds its controls, subscribes to the store keys it shows, and returns
// its render functions; views reach each other only through `app`.

/**
 * @typedef {object} App
 * @property {import('./store.js').Store<import('./state.js').State>} store
 * @property {import('./state.js').State} state  `store.state`
 * @property {<T>(p: Promise<T>) => Promise<T>} track  work `window.atlas.settled()` waits for
 * @property {(fn: (map: any) => void) => void} onMap  runs `fn(map)` once the map is ready
 * @property {() => any} mapNow  the AtlasMap (maybe not loaded yet), or null
 * @property {(category: string) => {shape: string, color: string}} categoryStyle
 * @property {any} matchPanel
 * @property {(msg: string, isError?: boolean) => void} showStatus
 * @property {(push: boolean) => void} commit  the state to the URL
 * @property {(o?: {fit?: boolean}) => Promise<void>} reload
 * @property {() => void} ensureAnalysis
 * @property {() => void} ensureTownCounts
 * @property {(patch: Record<string, any>, o?: {always?: boolean}) => void} setFilter
 * @property {(filter: import('./urlstate.js').Filter) => void} replaceFilter
 * @property {(name: string, o?: {focus?: boolean, push?: boolean}) => void} setTab
 * @property {(mode: string) => void} setColorMode
 * @property {(on: boolean) => void} setTownTotals
 * @property {(href: string, btn: HTMLElement) => Promise<void>} copyLink
 * @property {() => string} filterSummary
 * @property {(id: string, o?: {fly?: boolean, push?: boolean, fromMap?: boolean}) => Promise<void>} select
 * @property {(f: import('./sites.js').Feature) => HTMLElement | null} editActionsFor
 * @property {() => void} stopMove
 * @property {import('./edit/editing.js').EditingTools} editing
 * @property {ReturnType<typeof import('./views/filters.js').mountFilters>} filters
 * @property {ReturnType<typeof import('./views/list.js').mountList>} list
 * @property {ReturnType<typeof import('./views/tray.js').mountTray>} tray
 * @property {ReturnType<typeof import('./edit/worklist.js').mountWorklist>} worklist
 * @property {ReturnType<typeof import('./views/legend.js').mountLegend>} legend
 * @property {ReturnType<typeof import('./views/chainpanel.js').mountChainPanel>} chainPanel
 * @property {ReturnType<typeof import('./views/selection.js').mountSelection>} card
 * @property {ReturnType<typeof import('./views/board.js').mountBoard>} board
 * @property {ReturnType<typeof import('./views/tabs.js').mountTabs>} tabs
 * @property {ReturnType<typeof import('./views/cluster.js').mountClusterList>} cluster
 */

export {};
