/**
 * Per-step logging: the step log's record, its JSON form, the loops that write it (trainLoop,
 * fitModel, trainEpoch), a resumed loop's curve, and the EMA the plots draw over the steps.
 */
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fitModel, trainLoop } from '../../lib/train/index.js';
import { trainEpoch } from '../../lib/train/classifier-epoch.js';
import { newRunContext, withCurve, withCurvePrefix, withRunContext } from '../../lib/report/context.js';
import { compactJson } from '../../lib/report/json.js';
import { readStepLog, StepLog, stepEpochX, type StepLogEvent } from '../../lib/report/step-log.js';
import { autoSmoothing, ema } from '../../lib/plot/smooth.js';
import { makeRng } from '../../lib/random.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'step-log-'));

describe('the step log', () => {
  test('records every step and every epoch, padding keys a step did not log with NaN', () => {
    const log = new StepLog();
    const events: StepLogEvent[] = [];
    log.on((e) => events.push(e));
    const c = log.curve('run');
    c.step({ loss: 3 });
    c.step({ loss: 2, acc: 0.5 });
    c.endEpoch({ val_loss: 2.5 });
    c.step({ loss: 1 });
    c.endEpoch({ val_loss: 1.5, val_acc: 0.7 });
    expect(c.data.steps.loss).toEqual([3, 2, 1]);
    expect(c.data.steps.acc).toEqual([NaN, 0.5, NaN]);
    expect(c.data.epochSteps).toEqual([2, 1]);
    expect(c.data.epochs.val_loss).toEqual([2.5, 1.5]);
    expect(c.data.epochs.val_acc).toEqual([NaN, 0.7]);
    expect(events.map((e) => `${e.kind}:${e.step}`)).toEqual(['step:0', 'step:1', 'epoch:2', 'step:2', 'epoch:3']);
    // a second loop of the same name gets its own curve
    expect(log.freshCurve('run').name).toBe('run (2)');
  });

  test('x positions in epochs: the last step of an epoch sits on the epoch', () => {
    const x = stepEpochX({ steps: { loss: [1, 1, 1, 1, 1, 1] }, epochSteps: [4, 2], epochs: {} });
    expect(x).toEqual([0.25, 0.5, 0.75, 1, 1.5, 2]);
    // steps of an unfinished epoch continue at the last epoch's pace
    expect(stepEpochX({ steps: { loss: [1, 1, 1] }, epochSteps: [2], epochs: {} })).toEqual([0.5, 1, 1.5]);
  });

  test('metrics.json form: numbers on one line, NaN as null, read back as NaN', () => {
    const log = new StepLog();
    const c = log.curve('a');
    c.step({ loss: 0.123456789 });
    c.step({ loss: NaN });
    c.endEpoch({ val: 1 });
    const text = compactJson({ stepLog: log, nested: { x: 1.5 } });
    expect(text).toContain('"loss": [0.1234568,null]');
    const back = readStepLog(JSON.parse(text));
    expect(back?.curves.a?.steps.loss?.[0]).toBeCloseTo(0.1234568, 7);
    expect(Number.isNaN(back?.curves.a?.steps.loss?.[1])).toBe(true);
    expect(back?.curves.a?.epochSteps).toEqual([2]);
    // a metrics.json from before per-step logging has none
    expect(readStepLog({ history: { loss: [1, 2] } })).toBeNull();
  });

  test('trainLoop writes every step into the run, and a resumed loop keeps the steps of the epochs before', async () => {
    const dir = tmp();
    const run = (epochs: number, resume: boolean) => {
      const ctx = newRunContext();
      return withRunContext(ctx, async () => {
        const r = await trainLoop({
          label: 'toy',
          epochs,
          stepsPerEpoch: 3,
          quiet: true,
          resume,
          checkpoint: { dir },
          step: (e, s) => ({ loss: 10 * e + s }),
          endEpoch: (e) => ({ val_loss: e + 0.5 }),
        });
        return { r, ctx };
      });
    };
    const first = await run(2, false);
    expect(first.r.curve.steps.loss).toEqual([0, 1, 2, 10, 11, 12]);
    expect(first.ctx.log.curves.get('toy')?.data).toBe(first.r.curve);
    expect(first.r.curve.epochs.val_loss).toEqual([0.5, 1.5]);
    // the epoch means of the steps are there too (the history's values)
    expect(first.r.curve.epochs.loss).toEqual([1, 11]);
    const resumed = await run(3, true);
    expect(resumed.r.resumedFrom).toBe(2);
    expect(resumed.r.curve.steps.loss).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22]);
    expect(resumed.r.curve.epochSteps).toEqual([3, 3, 3]);
    // outside a run the loop keeps its own record
    const alone = await trainLoop({ label: 'alone', epochs: 1, stepsPerEpoch: 2, quiet: true, step: (_e, s) => ({ loss: s }) });
    expect(alone.curve.steps.loss).toEqual([0, 1]);
  });

  test('fitModel logs each batch, trainEpoch logs into the curve withCurve names, prefixed by withCurvePrefix', async () => {
    const x = tf.randomNormal([40, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), 'int32'), 3).toFloat() as tf.Tensor2D;
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const ctx = newRunContext();
    await withRunContext(ctx, async () => {
      await fitModel(model, x, y, { epochs: 2, batchSize: 16, seed: 1, quiet: true, label: 'fit', validationData: [x, y] });
      const opt = tf.train.sgd(0.1);
      withCurvePrefix('seed 2 · ', () =>
        withCurve('epochs', (c) => {
          trainEpoch(model, opt, { x, y, labels: new Int32Array(40) }, 10, makeRng(3));
          trainEpoch(model, opt, { x, y, labels: new Int32Array(40) }, 10, makeRng(4));
          c?.setEpochValues('val_accuracy', [0.1, 0.2]);
        }),
      );
      opt.dispose();
    });
    const fit = ctx.log.curves.get('fit')!.data;
    expect(fit.steps.loss).toHaveLength(6); // ⌈40/16⌉ = 3 batches × 2 epochs
    expect(fit.epochs.val_loss).toHaveLength(2);
    const ep = ctx.log.curves.get('seed 2 · epochs')!.data;
    expect(ep.steps.loss).toHaveLength(8); // 4 batches of 10 × 2 calls
    expect(ep.epochSteps).toEqual([4, 4]);
    expect(ep.steps.accuracy!.every((a) => a >= 0 && a <= 1)).toBe(true);
    expect(ep.epochs.val_accuracy).toEqual([0.1, 0.2]);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('EMA smoothing', () => {
  test('debiased like TensorBoard: a constant stays constant from the first step, NaN steps are skipped', () => {
    expect(ema([2, 2, 2], 0.9)).toEqual([2, 2, 2].map(() => expect.closeTo(2, 12)));
    const s = ema([0, 10, NaN, 10], 0.5);
    // s1 = 0; s2 = (0.5·0 + 0.5·10) / (1 − 0.25) = 6.667; NaN stays NaN; s4 = (0.5·5 + 5) / (1 − 0.125) = 8.571
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(20 / 3, 10);
    expect(Number.isNaN(s[2])).toBe(true);
    expect(s[3]).toBeCloseTo(7.5 / 0.875, 10);
    expect(ema([1, 5, 3], 0)).toEqual([1, 5, 3]);
    expect(() => ema([1], 1)).toThrow(/\[0, 1\)/);
  });

  test('the weight follows the number of steps: none for short runs, at most 0.98', () => {
    expect(autoSmoothing(30)).toBe(0);
    expect(autoSmoothing(300)).toBe(0.9);
    expect(autoSmoothing(100_000)).toBe(0.98);
  });
});
