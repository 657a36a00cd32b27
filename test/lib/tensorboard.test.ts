/**
 * TensorBoard event files of a run's step log (native backend only): read back here with our own
 * decoder of the TFRecord framing and the Event/Summary protobufs, every scalar at its step.
 */
import { expect, test } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { tensorBoardUnavailable } from '../../lib/backend/tensorboard.js';
import { StepLog } from '../../lib/report/step-log.js';
import { attachTensorBoard } from '../../lib/report/tensorboard.js';

interface Scalar {
  tag: string;
  step: number;
  value: number;
}

/** Scalars of one events file: TFRecords (length, crc, Event, crc) → Event.summary.value[]. */
function readEvents(file: string): Scalar[] {
  const buf = readFileSync(file);
  const out: Scalar[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = Number(buf.readBigUInt64LE(at));
    const event = protobuf.Reader.create(buf.subarray(at + 12, at + 12 + len));
    at += 12 + len + 4;
    let step = 0;
    const values: { tag: string; value: number }[] = [];
    while (event.pos < event.len) {
      const key = event.uint32();
      if (key >>> 3 === 2) step = Number(event.int64());
      else if (key >>> 3 === 5) {
        const summary = protobuf.Reader.create(event.bytes());
        while (summary.pos < summary.len) {
          const sk = summary.uint32();
          if (sk >>> 3 !== 1) {
            summary.skipType(sk & 7);
            continue;
          }
          const v = protobuf.Reader.create(summary.bytes());
          let tag = '';
          let value = NaN;
          while (v.pos < v.len) {
            const vk = v.uint32();
            if (vk >>> 3 === 1) tag = v.string();
            else if (vk >>> 3 === 2) value = v.float(); // simple_value
            else if (vk >>> 3 === 8) {
              // tensor: TensorProto, a float scalar in float_val (5) or tensor_content (4)
              const t = protobuf.Reader.create(v.bytes());
              while (t.pos < t.len) {
                const tk = t.uint32();
                if (tk >>> 3 === 5) value = (tk & 7) === 2 ? protobuf.Reader.create(t.bytes()).float() : t.float();
                else if (tk >>> 3 === 4) value = Buffer.from(t.bytes()).readFloatLE(0);
                else t.skipType(tk & 7);
              }
            } else v.skipType(vk & 7);
          }
          values.push({ tag, value });
        }
      } else event.skipType(key & 7);
    }
    for (const v of values) out.push({ ...v, step });
  }
  return out;
}

test('TensorBoard: one run per training loop, every step and every epoch value at its step', (ctx) => {
  const why = tensorBoardUnavailable();
  if (why) {
    if (process.env.COURSE_REQUIRE_NATIVE === '1') throw new Error(`COURSE_REQUIRE_NATIVE=1 but ${why}`);
    ctx.skip();
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorboard-'));
  const log = new StepLog();
  const sink = attachTensorBoard(log, dir);
  if (!('close' in sink)) throw new Error(sink.unavailable);
  const c = log.curve('seed 43 · LSTM');
  [2.5, 2.0, 1.75].forEach((loss) => c.step({ loss }));
  c.endEpoch({ val_loss: 1.9 });
  c.step({ loss: 1.5, acc: 0.25 });
  c.endEpoch({ val_loss: 1.6 });
  log.curve('GRU').step({ loss: 3 });
  sink.close();
  expect(readdirSync(dir).sort()).toEqual(['gru', 'seed-43-lstm']);
  const files = readdirSync(path.join(dir, 'seed-43-lstm'));
  expect(files.every((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
  const scalars = files.flatMap((f) => readEvents(path.join(dir, 'seed-43-lstm', f)));
  const byTag = (tag: string) => scalars.filter((s) => s.tag === tag).map((s) => [s.step, Number(s.value.toFixed(4))]);
  expect(byTag('loss')).toEqual([[1, 2.5], [2, 2], [3, 1.75], [4, 1.5]]);
  expect(byTag('acc')).toEqual([[4, 0.25]]);
  expect(byTag('epoch/val_loss')).toEqual([[3, 1.9], [4, 1.6]]);
  const gru = readdirSync(path.join(dir, 'gru')).flatMap((f) => readEvents(path.join(dir, 'gru', f)));
  expect(gru.filter((s) => s.tag === 'loss').map((s) => s.value)).toEqual([3]);
});
