#!/usr/bin/env node
// Draws the app icon and the tray icons into build/ (run after changing the
// artwork: `node scripts/makeIcons.mjs`; the PNGs are committed). Shapes are
// signed-distance functions sampled 4x4 per pixel for anti-aliasing, written
// as RGBA PNG with node:zlib, so no image tool is needed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// Shapes in a unit square (0..1); each returns true when the point is inside.
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const ring = (cx, cy, r0, r1, gapFrom, gapTo) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  const angle = (Math.atan2(y - cy, x - cx) + 2 * Math.PI) % (2 * Math.PI);
  return d >= r0 && d <= r1 && !(angle >= gapFrom && angle <= gapTo);
};
const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);
const line = (x0, y0, x1, y1, w) => (x, y) => {
  const dx = x1 - x0, dy = y1 - y0;
  const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) <= w / 2;
};

const cloud = union(circle(0.34, 0.52, 0.17), circle(0.55, 0.42, 0.22), circle(0.74, 0.56, 0.14), rect(0.17, 0.52, 0.88, 0.70), circle(0.17 + 0.0, 0.61, 0.09), circle(0.86, 0.61, 0.09));
const cloudInner = union(circle(0.34, 0.52, 0.11), circle(0.55, 0.42, 0.16), circle(0.74, 0.56, 0.08), rect(0.23, 0.52, 0.82, 0.64));
const badgeArea = circle(0.74, 0.74, 0.22);
const badges = {
  idle: null,
  syncing: ring(0.74, 0.74, 0.09, 0.16, 4.2, 5.2),
  paused: union(rect(0.66, 0.63, 0.71, 0.85), rect(0.77, 0.63, 0.82, 0.85)),
  offline: line(0.60, 0.60, 0.88, 0.88, 0.07),
  error: union(rect(0.715, 0.58, 0.765, 0.79), circle(0.74, 0.86, 0.035)),
  signed_out: null,
};

/** Layers: [shape, [r,g,b,a]] painted in order; later layers cover earlier ones. */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let colour = [0, 0, 0, 0];
          for (const [shape, c] of layers) if (shape(x, y)) colour = c;
          const alpha = colour[3] / 255;
          r += colour[0] * alpha; g += colour[1] * alpha; b += colour[2] * alpha; a += alpha;
        }
      }
      const i = (py * size + px) * 4;
      const n = samples * samples;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round((a / n) * 255);
    }
  }
  return png(size, out);
}

const STATE_COLOURS = { idle: [46, 160, 67], syncing: [31, 111, 235], paused: [130, 130, 130], offline: [130, 130, 130], error: [207, 34, 46], signed_out: [130, 130, 130] };
const clear = [0, 0, 0, 0];

/** A monochrome glyph: the cloud (outlined when signed out) with the state's badge cut out of it. */
function glyphLayers(state, ink) {
  const body = state === 'signed_out' ? minus(cloud, cloudInner) : cloud;
  const badge = badges[state];
  if (!badge) return [[body, ink]];
  return [[body, ink], [badgeArea, clear], [badge, ink]];
}

/** Windows: a coloured cloud, badge in white on a state-coloured disc. */
function colourLayers(state) {
  const blue = [31, 111, 235, 255];
  const body = state === 'signed_out' ? minus(cloud, cloudInner) : cloud;
  const badge = badges[state];
  const disc = [...STATE_COLOURS[state], 255];
  if (!badge) return state === 'idle' ? [[body, blue], [circle(0.74, 0.74, 0.17), disc], [union(line(0.66, 0.75, 0.72, 0.81, 0.06), line(0.72, 0.81, 0.83, 0.68, 0.06)), [255, 255, 255, 255]]] : [[body, [130, 130, 130, 255]]];
  return [[body, blue], [badgeArea, clear], [circle(0.74, 0.74, 0.20), disc], [badge, [255, 255, 255, 255]]];
}

mkdirSync('build/tray', { recursive: true });
for (const state of Object.keys(badges)) {
  writeFileSync(`build/tray/${state}-light.png`, render(32, glyphLayers(state, [36, 36, 36, 255])));
  writeFileSync(`build/tray/${state}-dark.png`, render(32, glyphLayers(state, [240, 240, 240, 255])));
  writeFileSync(`build/tray/${state}-win.png`, render(32, colourLayers(state)));
  // macOS template images: black plus alpha; the OS tints them for the menu bar.
  writeFileSync(`build/tray/${state}Template.png`, render(16, glyphLayers(state, [0, 0, 0, 255])));
  writeFileSync(`build/tray/${state}Template@2x.png`, render(32, glyphLayers(state, [0, 0, 0, 255])));
}

// The app icon: a white cloud on a blue rounded square.
const rounded = (inset, radius) => (x, y) => {
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - inset - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - inset - radius), 0);
  return Math.hypot(qx, qy) <= radius;
};
const scaled = (shape, s, ox, oy) => (x, y) => shape((x - ox) / s, (y - oy) / s);
writeFileSync('build/icon.png', render(512, [[rounded(0.06, 0.18), [31, 111, 235, 255]], [scaled(cloud, 0.8, 0.08, 0.1), [255, 255, 255, 255]]]));
console.log('wrote build/icon.png and build/tray/*.png');
