// Every UI string in Chinese (default) and English. Data labels (kinds, chains, townships…) come
// from the API with both languages; names of sites always show Chinese with English alongside.

const STRINGS = {
  zh: {
    title: '茂南区科技创新要素资源布局图',
    subtitle: '“十四五”规划附件一 · 创新资源 · 载体平台 · 重点企业',
    docTitle: '茂南区科技创新要素资源布局图 · Innovation Atlas',
    skipToList: '跳到站点列表',
    pageActions: '页面操作',
    indicators: '规划指标',
    print: '打印',
    langSwitch: 'English',
    sidebar: '筛选与列表',
    searchLabel: '搜索',
    searchPlaceholder: '搜索名称、地址、备注…（如 石化、孵化）',
    layers: '图层',
    filters: '筛选条件',
    moreFilters: '更多筛选',
    chain: '产业链',
    link: '链环节',
    kind: '类型',
    level: '级别',
    status: '状态',
    scope: '范围',
    town: '镇/街道',
    colourBy: '着色',
    byCategory: '按类别',
    byChain: '按产业链',
    reset: '清除筛选',
    fitResults: '缩放至结果',
    exportFormat: '导出格式',
    export: '导出',
    exportTitle: '按当前筛选条件导出（{n} 处）',
    copyLink: '复制链接',
    copied: '链接已复制',
    copyFailed: '无法自动复制，请手动复制：',
    mapRegion: '地图',
    legend: '图例',
    indicatorsTitle: '规划指标与目录统计',
    close: '关闭',
    all: '全部',
    allLinks: '全部环节',
    chooseChainFirst: '请先选择产业链',
    resultCount: '{n} 处站点',
    showingFirst: '地图与列表显示前 {shown} 处（共 {n} 处），请缩小筛选范围或导出全部。',
    loading: '加载中…',
    loadError: '数据加载失败：{msg}',
    mapError: '地图无法显示（浏览器不支持 WebGL）。列表与导出仍可使用。',
    more: '显示更多（还有 {n} 处）',
    noResults: '没有符合条件的站点。',
    atLeastOneLayer: '至少保留一个图层',
    layerToggle: '{name}：{n} 处',
    legendApprox: '空心符号 = 近似位置（镇街或区级代表点）',
    legendCluster: '聚合点：数字为站点数，点击展开列表；白色 = 全部为近似位置',
    legendArea: '园区范围',
    legendChainNote: '颜色按站点的（所选）产业链',
    chainNone: '未标注产业链',
    clusterTitle: '此处 {n} 处站点',
    samePlace: '这些站点共用同一（近似）位置，请从列表选择：',
    zoomIn: '放大查看',
    closeList: '关闭列表',
    cardClose: '关闭详情',
    nameZh: '中文名称',
    nameEn: '英文名称',
    category: '类别',
    chains: '产业链及环节',
    address: '地址',
    area: '面积',
    availableArea: '可用面积',
    established: '成立年份',
    contact: '联系人',
    phone: '电话',
    website: '网址',
    precision: '定位精度',
    locationSource: '位置来源',
    coordinates: '坐标（WGS84）',
    originalCoordinates: '原始坐标',
    dataSource: '数据来源',
    sourceQuote: '原文摘录',
    notes: '备注',
    updated: '更新日期',
    verified: '核实日期',
    notVerified: '尚未核实',
    notStated: '未注明',
    permalink: '复制本站点链接',
    showOnMap: '在地图上显示',
    approxTown: '近似位置：标在所属镇/街道驻地，并非站点的实际位置。',
    approxDistrict: '近似位置：实际位置未知，标在茂南区代表点（区界质心），并非站点的实际位置。',
    approxPartner: '位置未知，位于茂南区外（区外合作单位）；地图上的点仅为茂南区代表点。',
    outsideDistrict: '该点位于茂南区界外。',
    squareMetres: '{n} 平方米',
    indicator: '指标',
    baseline: '基期',
    target: '2025 目标',
    catalogue: '目录现有',
    notCountable: '目录无法统计',
    indicatorSource: '来源',
    printTitle: '茂南区科技创新要素资源布局图',
    printMeta: '筛选：{filter} · 共 {n} 处 · 打印时间 {time}',
    noFilter: '无（全部站点）',
    colName: '名称',
    colCategory: '类别 / 类型',
    colChains: '产业链',
    colPlace: '镇街 / 地址',
    colPrecision: '定位精度',
    basemapOnline: '在线底图',
    searchHint: '输入后自动搜索',
    selected: '已选中',
    rowHint: '回车打开详情，上下方向键移动',
  },
  en: {
    title: 'Maonan Innovation Resource Atlas',
    subtitle: '14th Five-Year Plan, Annex 1 · innovation resources · carrier platforms · key enterprises',
    docTitle: 'Innovation Atlas · 茂南区科技创新要素资源布局图',
    skipToList: 'Skip to the list of sites',
    pageActions: 'Page actions',
    indicators: 'Plan indicators',
    print: 'Print',
    langSwitch: '中文',
    sidebar: 'Filters and list',
    searchLabel: 'Search',
    searchPlaceholder: 'Search names, addresses, notes… (e.g. 石化, incubator)',
    layers: 'Layers',
    filters: 'Filters',
    moreFilters: 'More filters',
    chain: 'Industry chain',
    link: 'Chain link',
    kind: 'Kind',
    level: 'Level',
    status: 'Status',
    scope: 'Scope',
    town: 'Township',
    colourBy: 'Colour by',
    byCategory: 'category',
    byChain: 'chain',
    reset: 'Clear filters',
    fitResults: 'Zoom to results',
    exportFormat: 'Export format',
    export: 'Export',
    exportTitle: 'Export the current filter ({n} sites)',
    copyLink: 'Copy link',
    copied: 'Link copied',
    copyFailed: 'Could not copy automatically; copy this link:',
    mapRegion: 'Map',
    legend: 'Legend',
    indicatorsTitle: 'Plan indicators and catalogue counts',
    close: 'Close',
    all: 'All',
    allLinks: 'All links',
    chooseChainFirst: 'Choose a chain first',
    resultCount: '{n} sites',
    showingFirst: 'The map and list show the first {shown} of {n} sites; narrow the filter or export them all.',
    loading: 'Loading…',
    loadError: 'Could not load the data: {msg}',
    mapError: 'The map cannot be shown (no WebGL in this browser). The list and exports still work.',
    more: 'Show more ({n} left)',
    noResults: 'No site matches the filter.',
    atLeastOneLayer: 'Keep at least one layer',
    layerToggle: '{name}: {n} sites',
    legendApprox: 'Hollow symbol = approximate location (township seat or district point)',
    legendCluster: 'Cluster: number of sites, click to list them; white = all approximate',
    legendArea: 'Park outline',
    legendChainNote: "Colour = the site's (chosen) chain",
    chainNone: 'No chain stated',
    clusterTitle: '{n} sites here',
    samePlace: 'These sites share one (approximate) location; choose from the list:',
    zoomIn: 'Zoom in',
    closeList: 'Close the list',
    cardClose: 'Close the details',
    nameZh: 'Chinese name',
    nameEn: 'English name',
    category: 'Category',
    chains: 'Chains and links',
    address: 'Address',
    area: 'Area',
    availableArea: 'Available area',
    established: 'Established',
    contact: 'Contact',
    phone: 'Phone',
    website: 'Website',
    precision: 'Location precision',
    locationSource: 'Location source',
    coordinates: 'Coordinates (WGS84)',
    originalCoordinates: 'Original coordinates',
    dataSource: 'Data source',
    sourceQuote: 'Quote',
    notes: 'Notes',
    updated: 'Last updated',
    verified: 'Verified',
    notVerified: 'not verified yet',
    notStated: 'not stated',
    permalink: 'Copy a link to this site',
    showOnMap: 'Show on the map',
    approxTown: "Approximate location: drawn at its township's seat, not at the site itself.",
    approxDistrict: "Approximate location: the real place is unknown; drawn at Maonan's representative point (boundary centroid), not at the site itself.",
    approxPartner: "Location unknown, outside Maonan (external partner); the point on the map is only Maonan's representative point.",
    outsideDistrict: 'This point lies outside the Maonan district boundary.',
    squareMetres: '{n} m²',
    indicator: 'Indicator',
    baseline: 'Baseline',
    target: '2025 target',
    catalogue: 'In catalogue',
    notCountable: 'not countable from the catalogue',
    indicatorSource: 'Source',
    printTitle: 'Maonan Innovation Resource Atlas',
    printMeta: 'Filter: {filter} · {n} sites · printed {time}',
    noFilter: 'none (all sites)',
    colName: 'Name',
    colCategory: 'Category / kind',
    colChains: 'Chains',
    colPlace: 'Township / address',
    colPrecision: 'Location precision',
    basemapOnline: 'Online base map',
    searchHint: 'Searches as you type',
    selected: 'selected',
    rowHint: 'Enter opens the details, arrow keys move',
  },
};

const STORAGE_KEY = 'atlas.lang';
let current = 'zh';

/** The language remembered in this browser (zh by default). */
export function initialLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh') return v;
  } catch { /* storage may be off */ }
  return 'zh';
}

export function lang() {
  return current;
}

export function setLang(l) {
  current = l === 'en' ? 'en' : 'zh';
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch { /* storage may be off */ }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/** A UI string with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const table = STRINGS[current] || STRINGS.zh;
  let s = table[key] ?? STRINGS.zh[key] ?? key;
  for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** Fills `[data-i18n]` text and `[data-i18n-attr="attr:key;attr:key"]` attributes under `root`. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  document.title = t('docTitle');
}

/** A number in the current locale. */
export function num(n, opts) {
  return new Intl.NumberFormat(current === 'zh' ? 'zh-CN' : 'en-GB', opts).format(n);
}

/** Every key exists in both languages (checked by the end-to-end tests). */
export function missingKeys() {
  const zh = Object.keys(STRINGS.zh);
  const en = Object.keys(STRINGS.en);
  return [...zh.filter((k) => !(k in STRINGS.en)), ...en.filter((k) => !(k in STRINGS.zh))];
}
