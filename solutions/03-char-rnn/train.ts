/**
 * `course train 03-char-rnn`: train an LSTM and a GRU language model with the same budget on the
 * bundled Sherlock Holmes text, using the target's own functions, and write to opts.out:
 *   val-loss.png     training and validation loss of both models per epoch (one chart)
 *   perplexity.png   validation perplexity of both models next to the uniform/unigram baselines
 *   perplexity.md    the same numbers as a table (loss, perplexity, bits/char, accuracy)
 *   samples.md       text from both models at temperatures 0.2, 0.5 and 1.0
 * Each epoch prints a sample line. Checkpoints (model + Adam state) go to
 * opts.out/checkpoint-<cell>; `--resume` continues from there.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadText } from '../../lib/data/text.js';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { barChart, lineChart } from '../../lib/plot/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop } from '../../lib/train/index.js';
import { compileStep } from '../../lib/backend/graph/index.js';

export const defaults = { epochs: 5 };

type Impl = typeof import('./index.js');
type Cell = 'lstm' | 'gru';

/** Same model size and step budget for both cells; `quick` is the smoke-size run. */
const SIZES = {
  full: { text: 'sherlock' as const, embeddingDim: 32, units: 96, layers: 1, dropout: 0, seqLength: 40, batchSize: 32, stepsPerEpoch: 60, valWindows: 256, learningRate: 0.01 },
  quick: { text: 'small' as const, embeddingDim: 16, units: 32, layers: 1, dropout: 0, seqLength: 20, batchSize: 16, stepsPerEpoch: 12, valWindows: 64, learningRate: 0.01 },
};
const CLIP_NORM = 1;
const TEMPERATURES = [0.2, 0.5, 1.0];
const SEED_TEXT = 'Sherlock Holmes ';

/** Cross-entropy (nats/char) of always predicting the training text's character frequencies. */
function unigramLoss(trainIds: Int32Array, valIds: Int32Array, vocabSize: number): number {
  const counts = new Float64Array(vocabSize).fill(1); // add-one smoothing: no log(0)
  for (const id of trainIds) counts[id]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  let nll = 0;
  for (const id of valIds) nll -= Math.log(counts[id]! / total);
  return nll / valIds.length;
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const size = opts.quick ? SIZES.quick : SIZES.full;
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.epochs;
  const text = loadText(size.text);
  const vocab = impl.buildVocab(text);
  const ids = impl.encode(vocab, text);
  const split = impl.splitWindows(ids, { seqLength: size.seqLength, step: size.seqLength, valFraction: 0.1, seed: opts.seed });
  // Validation on a fixed, evenly spaced subset keeps the per-epoch evaluation to a few seconds.
  const every = Math.max(1, Math.floor(split.val.n / size.valWindows));
  const valIdx = Array.from({ length: Math.min(size.valWindows, split.val.n) }, (_, i) => i * every);
  const valSubset = pickWindows(split.val, valIdx);
  const uniform = Math.log(vocab.size);
  const unigram = unigramLoss(split.train.targets, valSubset.targets, vocab.size);
  console.error(
    `[03-char-rnn] ${size.text}: ${text.length} chars, vocab ${vocab.size}, ${split.train.n} train / ${split.val.n} val windows of ${size.seqLength}; ` +
      `baselines: uniform ${uniform.toFixed(3)} nats/char, unigram ${unigram.toFixed(3)}`,
  );

  const runs: Record<Cell, { model: tf.LayersModel; history: Record<string, number[]>; seconds: number; resumedFrom: number | null }> = {} as never;
  for (const cell of ['lstm', 'gru'] as const) {
    const config = { vocabSize: vocab.size, embeddingDim: size.embeddingDim, cell, units: size.units, layers: size.layers, dropout: size.dropout };
    const model = impl.buildCharModel(config);
    const optimizer = impl.makeOptimizer(size.learningRate);
    const started = Date.now();
    // On tfjs-node the step runs as one TensorFlow graph after 3 eager calls (lib/backend/graph);
    // a step the trace can't capture, or another backend, keeps running eagerly (one log line why).
    const stepFn = compileStep((x, y) => impl.trainStep(model, optimizer, x, y, CLIP_NORM), { name: `03-char-rnn ${cell}` });
    const result = await trainLoop({
      label: `03-char-rnn ${cell}`,
      epochs,
      stepsPerEpoch: size.stepsPerEpoch,
      checkpoint: { dir: path.join(opts.out, `checkpoint-${cell}`), models: { [cell]: model }, optimizers: { [cell]: optimizer } },
      resume: opts.resume,
      // Batches depend only on (seed, epoch, step), so both cells see the same batches and a
      // resumed run continues with exactly the batches it would have seen.
      step: (epoch, step) => {
        const rng = makeRng(opts.seed * 1_000_003 + epoch * 10_007 + step);
        const idx = Array.from({ length: size.batchSize }, () => rng.int(split.train.n));
        const { x, y } = impl.windowBatch(split.train, idx);
        try {
          return { loss: stepFn(x, y) };
        } finally {
          tf.dispose([x, y]);
        }
      },
      endEpoch: (epoch) => {
        const e = impl.evaluate(model, valSubset);
        const sample = impl.generate(model, vocab, SEED_TEXT, 80, { temperature: 0.5, seed: opts.seed + epoch, contextLength: size.seqLength });
        process.stderr.write(`[03-char-rnn ${cell}] epoch ${epoch + 1} sample (T=0.5): ${JSON.stringify(SEED_TEXT + sample)}\n`);
        return { val_loss: e.loss, val_perplexity: e.perplexity, val_bits_per_char: e.bitsPerChar, val_accuracy: e.accuracy };
      },
    });
    runs[cell] = { model, history: result.history, seconds: (Date.now() - started) / 1000, resumedFrom: result.resumedFrom };
    stepFn.dispose();
    optimizer.dispose();
  }

  // ── plots ──
  const x = (runs.lstm.history.loss ?? []).map((_, i) => i + 1);
  const plots = [
    lineChart(path.join(opts.out, 'val-loss.png'), {
      title: `LSTM vs GRU on ${size.text === 'sherlock' ? 'Sherlock Holmes' : 'the small text'} (${size.units} units, same batches)`,
      xLabel: `epoch (${size.stepsPerEpoch} steps of ${size.batchSize} windows × ${size.seqLength} chars)`,
      yLabel: 'cross-entropy (nats / char)',
      series: [
        { label: 'LSTM validation', data: runs.lstm.history.val_loss ?? [], x },
        { label: 'GRU validation', data: runs.gru.history.val_loss ?? [], x },
        { label: 'LSTM training (epoch mean)', data: runs.lstm.history.loss ?? [], x },
        { label: 'GRU training (epoch mean)', data: runs.gru.history.loss ?? [], x },
        { label: `unigram baseline (${unigram.toFixed(2)})`, data: x.map(() => unigram), x },
      ],
    }),
  ];

  // ── final evaluation, table and samples ──
  const final: Record<string, { loss: number; perplexity: number; bitsPerChar: number; accuracy: number; params: number; seconds: number }> = {};
  for (const cell of ['lstm', 'gru'] as const) {
    const e = impl.evaluate(runs[cell].model, valSubset);
    final[cell] = { ...e, params: runs[cell].model.countParams(), seconds: runs[cell].seconds };
  }
  plots.push(
    barChart(path.join(opts.out, 'perplexity.png'), {
      title: 'Validation perplexity (lower is better)',
      xLabel: 'model',
      yLabel: 'perplexity = exp(loss)',
      labels: ['uniform', 'unigram', 'LSTM', 'GRU'],
      series: [{ label: 'validation perplexity', data: [Math.exp(uniform), Math.exp(unigram), final.lstm!.perplexity, final.gru!.perplexity] }],
    }),
  );
  const row = (name: string, loss: number, acc: string, params: string, secs: string) =>
    `| ${name} | ${loss.toFixed(3)} | ${Math.exp(loss).toFixed(2)} | ${(loss / Math.LN2).toFixed(3)} | ${acc} | ${params} | ${secs} |`;
  const table = [
    `# 03-char-rnn: validation perplexity`,
    '',
    `${size.text} text, vocab ${vocab.size}, ${valSubset.n} validation windows of ${size.seqLength} characters, ` +
      `${epochs} epochs × ${size.stepsPerEpoch} steps × ${size.batchSize} windows, Adam ${size.learningRate}, clipnorm ${CLIP_NORM}.`,
    '',
    '| model | loss (nats/char) | perplexity | bits/char | accuracy | parameters | train s |',
    '|---|---|---|---|---|---|---|',
    row('uniform guess', uniform, '—', '0', '—'),
    row('unigram frequencies', unigram, '—', String(vocab.size), '—'),
    ...(['lstm', 'gru'] as const).map((c) =>
      row(c.toUpperCase(), final[c]!.loss, `${(100 * final[c]!.accuracy).toFixed(1)} %`, String(final[c]!.params), final[c]!.seconds.toFixed(0)),
    ),
    '',
  ].join('\n');
  const tablePath = path.join(opts.out, 'perplexity.md');
  writeFileSync(tablePath, table);

  const sampleLines = ['# 03-char-rnn: samples', '', `Seed text: ${JSON.stringify(SEED_TEXT)}; ${opts.quick ? 60 : 200} new characters each, sampling seed ${opts.seed}.`, ''];
  const samples: Record<string, string> = {};
  for (const cell of ['lstm', 'gru'] as const) {
    for (const temperature of TEMPERATURES) {
      // a turn of the event loop between samples: on webgpu, Node frees the GPU objects of the last
      // sample's kernels only then (lib/backend/dawn-reuse.ts); back to back they crashed lavapipe
      await new Promise((resolve) => setImmediate(resolve));
      const s = impl.generate(runs[cell].model, vocab, SEED_TEXT, opts.quick ? 60 : 200, { temperature, seed: opts.seed, contextLength: size.seqLength });
      samples[`${cell}@${temperature}`] = s;
      sampleLines.push(`## ${cell.toUpperCase()}, temperature ${temperature}`, '', '```text', SEED_TEXT + s, '```', '');
    }
  }
  const samplesPath = path.join(opts.out, 'samples.md');
  writeFileSync(samplesPath, sampleLines.join('\n'));

  for (const cell of ['lstm', 'gru'] as const) runs[cell].model.dispose();
  return {
    metrics: {
      config: { ...size, clipNorm: CLIP_NORM, vocabSize: vocab.size, trainWindows: split.train.n, valWindows: valSubset.n },
      epochsRun: x.length,
      resumedFrom: { lstm: runs.lstm.resumedFrom, gru: runs.gru.resumedFrom },
      baselines: { uniformLoss: uniform, unigramLoss: unigram },
      final,
      history: { lstm: runs.lstm.history, gru: runs.gru.history },
      samples,
    },
    plots,
    samples: [samplesPath, tablePath],
  };
}

/** A subset of windows by index (the loop is plain copying, no tensors). */
function pickWindows(w: import('./index.js').Windows, idx: number[]): import('./index.js').Windows {
  const T = w.seqLength;
  const inputs = new Int32Array(idx.length * T);
  const targets = new Int32Array(idx.length * T);
  idx.forEach((i, r) => {
    inputs.set(w.inputs.subarray(i * T, (i + 1) * T), r * T);
    targets.set(w.targets.subarray(i * T, (i + 1) * T), r * T);
  });
  return { inputs, targets, n: idx.length, seqLength: T, starts: idx.map((i) => w.starts[i]!) };
}
