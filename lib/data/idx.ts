/**
 * IDX reader (the MNIST file format): a 4-byte magic number, one big-endian uint32 per
 * dimension, then the raw bytes. Magic 0x00000803 = unsigned bytes, 3 dims (images [n,h,w]);
 * 0x00000801 = unsigned bytes, 1 dim (labels [n]). Accepts the gzip-compressed file or the raw one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CourseError } from '../errors.js';
import { RESTORE_HINT } from './paths.js';

export interface IdxData {
  dims: number[];
  data: Uint8Array;
}

const MAGIC_UBYTE_3D = 0x00000803;
const MAGIC_UBYTE_1D = 0x00000801;

export function readIdx(file: string): IdxData {
  const corrupt = (problem: string): CourseError =>
    new CourseError(`IDX file ${file} is corrupt: ${problem}`, RESTORE_HINT);
  if (!existsSync(file)) throw new CourseError(`IDX file missing: ${file}`, RESTORE_HINT);

  const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  let bytes = asBytes(readFileSync(file));
  // Detect gzip by its own magic bytes (1f 8b), not by the file name.
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = asBytes(gunzipSync(bytes));
    } catch (err) {
      throw corrupt(`gzip data cannot be decompressed (${(err as Error).message})`);
    }
  }
  if (bytes.length < 4) throw corrupt(`only ${bytes.length} bytes, too short for the header`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== MAGIC_UBYTE_3D && magic !== MAGIC_UBYTE_1D) {
    throw corrupt(
      `magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803 (images) or 0x00000801 (labels)`,
    );
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw corrupt(`header cut short (${bytes.length} of ${headerBytes} bytes)`);

  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw corrupt(`a dimension is zero: [${dims.join(',')}]`);

  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw corrupt(
      `dims [${dims.join(',')}] need ${expected} data bytes but the file has ${actual}${actual < expected ? ' (truncated)' : ''}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}
