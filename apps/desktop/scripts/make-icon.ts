/**
 * Draws the app icon (`build/icon.png`, 1024×1024): a keyhole on a rounded square in the OIDC
 * and JWT panel colours. electron-builder derives the .icns and .ico from it. Run it again only
 * to change the design: `node scripts/make-icon.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { APP_DIR } from './build.ts';

const SIZE = 1024;
const SAMPLES = 4;
const FROM = [0x5a, 0x3f, 0xc0];
const TO = [0x0b, 0x6e, 0x8a];

/** Inside a rounded square of the whole canvas (coordinates 0..1). */
function inSquare(x: number, y: number): boolean {
  const r = 0.22;
  const margin = 0.04;
  const cx = Math.min(Math.max(x, margin + r), 1 - margin - r);
  const cy = Math.min(Math.max(y, margin + r), 1 - margin - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= margin && x <= 1 - margin && y >= margin && y <= 1 - margin;
}

/** Inside the keyhole: a circle over a widening slot. */
function inKeyhole(x: number, y: number): boolean {
  if ((x - 0.5) ** 2 + (y - 0.4) ** 2 <= 0.15 ** 2) return true;
  if (y < 0.46 || y > 0.76) return false;
  const half = 0.055 + ((y - 0.46) / 0.3) * 0.05;
  return Math.abs(x - 0.5) <= half;
}

function pixel(px: number, py: number): [number, number, number, number] {
  let square = 0;
  let hole = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = (px + (sx + 0.5) / SAMPLES) / SIZE;
      const y = (py + (sy + 0.5) / SAMPLES) / SIZE;
      if (inSquare(x, y)) {
        square++;
        if (inKeyhole(x, y)) hole++;
      }
    }
  }
  const n = SAMPLES * SAMPLES;
  const t = (px + py) / (2 * SIZE);
  const background = FROM.map((from, i) => from + ((TO[i] ?? from) - from) * t);
  const white = hole / Math.max(square, 1);
  const [r, g, b] = background.map((channel) => Math.round(channel * (1 - white) + 255 * white));
  return [r ?? 0, g ?? 0, b ?? 0, Math.round((square / n) * 255)];
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function drawIcon(): Buffer {
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 4));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 4);
    rows[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const file = join(APP_DIR, 'build', 'icon.png');
  writeFileSync(file, drawIcon());
  process.stdout.write(`wrote ${file}\n`);
}
