// @ts-check
// Site symbols drawn on a canvas in the browser (no sprite server, works offline): one shape per
// category (circle, square, triangle), solid for known locations, hollow for approximate ones.
// The style names them `site/<shape>/<solid|hollow>/<#rrggbb>`; the map asks for each name the
// first time it is used (`styleimagemissing`), and the list and legend use the same drawing.

const SIZE = 22; // CSS pixels of one symbol image

function path(ctx, shape, cx, cy, r) {
  ctx.beginPath();
  if (shape === 'square') {
    const s = r * 0.9;
    ctx.rect(cx - s, cy - s, 2 * s, 2 * s);
  } else if (shape === 'triangle') {
    const k = r * 1.22;
    ctx.moveTo(cx, cy - k);
    ctx.lineTo(cx + k * 0.94, cy + k * 0.66);
    ctx.lineTo(cx - k * 0.94, cy + k * 0.66);
    ctx.closePath();
  } else {
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
  }
}

/** Draws one symbol centred in a `size`×`size` box of `ctx` (already scaled to CSS pixels). */
export function drawSymbol(ctx, shape, fill, color, size = SIZE) {
  const c = size / 2;
  const r = size * 0.3;
  ctx.lineJoin = 'round';
  if (fill === 'hollow') {
    path(ctx, shape, c, c, r);
    ctx.fillStyle = 'rgba(255,255,255,0.92)';
    ctx.fill();
    ctx.lineWidth = size * 0.11;
    ctx.strokeStyle = color;
    ctx.stroke();
  } else {
    path(ctx, shape, c, c, r);
    ctx.lineWidth = size * 0.16;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = size * 0.04;
    ctx.strokeStyle = 'rgba(0,0,0,0.35)';
    ctx.stroke();
  }
}

/** Parses `site/<shape>/<fill>/<#colour>`; null for other names. */
export function parseName(name) {
  const m = /^site\/(circle|square|triangle)\/(solid|hollow)\/(#[0-9a-fA-F]{6})$/.exec(name);
  return m ? { shape: m[1], fill: m[2], color: m[3] } : null;
}

export function symbolName(shape, fill, color) {
  return `site/${shape}/${fill}/${color}`;
}

/** Pixels of a symbol for `map.addImage`. */
export function symbolImage(shape, fill, color, pixelRatio) {
  const px = Math.round(SIZE * pixelRatio);
  const canvas = document.createElement('canvas');
  canvas.width = px;
  canvas.height = px;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.scale(pixelRatio, pixelRatio);
  drawSymbol(ctx, shape, fill, color);
  return ctx.getImageData(0, 0, px, px);
}

/** Data URLs of the symbols drawn so far, by shape, fill, colour, size and pixel ratio. */
const drawn = new Map();

/**
 * A small image showing a symbol (legend, list rows, cards); decorative. Each symbol is drawn on
 * a canvas once and then shared as a data URL: a canvas (and its 2D context) for every list
 * row made the page's first render several hundred milliseconds slower. The canvases are read
 * back, so they are asked for in memory (`willReadFrequently`): reading a GPU canvas waits for
 * the GPU (tens of milliseconds each under a software GL).
 */
export function symbolIcon(shape, fill, color, size = 16) {
  const ratio = Math.max(1, Math.ceil(window.devicePixelRatio || 1));
  const key = `${shape}|${fill}|${color}|${size}|${ratio}`;
  let url = drawn.get(key);
  if (!url) {
    const canvas = document.createElement('canvas');
    canvas.width = size * ratio;
    canvas.height = size * ratio;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.scale(ratio, ratio);
    drawSymbol(ctx, shape, fill, color, size);
    url = canvas.toDataURL('image/png');
    drawn.set(key, url);
  }
  const img = document.createElement('img');
  img.src = url;
  img.width = size;
  img.height = size;
  img.alt = '';
  img.setAttribute('aria-hidden', 'true');
  img.className = 'symbol';
  return img;
}

/** Makes `map` draw any `site/…` image it is asked for. */
export function installSymbolFactory(map) {
  const ratio = Math.max(1, Math.min(3, Math.ceil(window.devicePixelRatio || 1)));
  const add = (id) => {
    const spec = parseName(id);
    if (!spec || map.hasImage(id)) return;
    map.addImage(id, symbolImage(spec.shape, spec.fill, spec.color, ratio), { pixelRatio: ratio });
  };
  // MapLibre 6 asks a resolver before drawing; older versions fire `styleimagemissing`.
  if (typeof map.setMissingStyleImageResolver === 'function') map.setMissingStyleImageResolver(async (id) => add(id));
  else map.on('styleimagemissing', (e) => add(e.id));
}
