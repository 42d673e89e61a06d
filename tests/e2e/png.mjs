// Just enough PNG to check a screenshot's pixels: decodes the 8-bit, non-interlaced RGB and RGBA
// images that Chromium writes (node:zlib for the data), and measures a rectangle of one.
import { inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** `{ width, height, rgba }` of a PNG file's bytes; throws on anything else. */
export function decodePng(bytes) {
  if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let header = null;
  const data = [];
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0), height: body.readUInt32BE(4),
        depth: body[8], color: body[9], interlace: body[12],
      };
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  if (!header) throw new Error('PNG without IHDR');
  const { width, height, depth, color, interlace } = header;
  if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: depth ${depth}, colour type ${color}, interlace ${interlace}`);
  }
  const channels = color === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  if (raw.length !== height * (stride + 1)) throw new Error('PNG data has the wrong size');
  const rgba = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? current[i - channels] : 0;
      const b = previous[i];
      const c = i >= channels ? previous[i - channels] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      current[i] = (line[i] + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const to = (y * width + x) * 4;
      const from = x * channels;
      rgba[to] = current[from];
      rgba[to + 1] = current[from + 1];
      rgba[to + 2] = current[from + 2];
      rgba[to + 3] = channels === 4 ? current[from + 3] : 255;
    }
    previous = current;
  }
  return { width, height, rgba };
}

/**
 * What a rectangle `{ x, y, width, height }` of `image` holds: its most common colour (the
 * background) and how many pixels `match(r, g, b)` accepts; `ink` counts the pixels far from
 * that background (text, borders).
 */
export function measure(image, box, match = {}) {
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(image.width, Math.round(box.x + box.width));
  const y1 = Math.min(image.height, Math.round(box.y + box.height));
  const pixel = (x, y) => {
    const at = (y * image.width + x) * 4;
    return [image.rgba[at], image.rgba[at + 1], image.rgba[at + 2]];
  };
  const histogram = new Map();
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const key = pixel(x, y).join(',');
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
    }
  }
  const [background] = [...histogram].sort((p, q) => q[1] - p[1])[0] ?? ['0,0,0'];
  const bg = background.split(',').map(Number);
  const counts = Object.fromEntries(Object.keys(match).map((name) => [name, 0]));
  let ink = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = pixel(x, y);
      if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 96) ink += 1;
      for (const [name, test] of Object.entries(match)) if (test(r, g, b)) counts[name] += 1;
    }
  }
  return { pixels: (x1 - x0) * (y1 - y0), colours: histogram.size, background: bg, ink, ...counts };
}
