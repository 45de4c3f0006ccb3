// Draws media/icon.png (128x128 RGBA): an isometric cube in three shades on a dark rounded tile.
// Written with zlib alone so the icon can be regenerated anywhere: node media/make-icon.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const size = 128;
const px = Buffer.alloc(size * size * 4);

/** CRC-32 as PNG chunks need it. */
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Is (x, y) inside the convex polygon `pts` (listed in order)? */
function inside(pts, x, y) {
  let sign = 0;
  for (let i = 0; i < pts.length; i++) {
    const [ax, ay] = pts[i], [bx, by] = pts[(i + 1) % pts.length];
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (cross !== 0) { const s = Math.sign(cross); if (sign && s !== sign) return false; sign = s; }
  }
  return true;
}

const c = 64, r = 44; // centre and half-width of the cube
const h = r / 2; // isometric vertical offset
const top = [[c, c - r], [c + r, c - h], [c, c], [c - r, c - h]];
const left = [[c - r, c - h], [c, c], [c, c + r], [c - r, c + h]];
const right = [[c, c], [c + r, c - h], [c + r, c + h], [c, c + r]];
const faces = [[top, [126, 214, 255]], [left, [36, 128, 214]], [right, [20, 82, 160]]];

for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    // Rounded dark tile behind the cube (radius 20).
    const dx = Math.max(20 - x, 0, x - (size - 1 - 20)), dy = Math.max(20 - y, 0, y - (size - 1 - 20));
    if (dx * dx + dy * dy > 400) continue;
    let rgb = [30, 34, 48];
    for (const [poly, col] of faces) if (inside(poly, x + 0.5, y + 0.5)) { rgb = col; break; }
    px[i] = rgb[0]; px[i + 1] = rgb[1]; px[i + 2] = rgb[2]; px[i + 3] = 255;
  }
}

const raw = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) px.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
]);
const out = join(dirname(fileURLToPath(import.meta.url)), 'icon.png');
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
