/**
 * `course train 03-char-rnn`: train an LSTM and a GRU language model with the same budget on the
 * bundled Sherlock Holmes text, using the target's own functions, and write to opts.out:
 *   val-loss.png     training loss of both models every step, validation loss every epoch (one chart)
 *   perplexity.png   validation perplexity of both models next to the uniform/unigram baselines
 *   perplexity.md    the same numbers as a table (loss, perplexity, bits/char, accuracy)
 *   samples.md       text from both models at temperatures 0.2, 0.5 and 1.0
 *   report.md/.html  (lib/report) the figures, the samples over the epochs and at each
 *                    temperature as tables, and conclusions from the numbers
 * Each epoch prints a sample line. Checkpoints (model + Adam state) go to
 * opts.out/checkpoint-<cell>; `--resume` continues from there. `--demo` (npm start): bigger
 * batches and more steps on the full text, enough for recognisable words.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadText } from '../../lib/data/text.js';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { barChart, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { pct, reportOf } from '../../lib/report/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop } from '../../lib/train/index.js';
import type { CurveData } from '../../lib/report/step-log.js';
import { compileStep } from '../../lib/backend/graph/index.js';

export const defaults = { epochs: 5, demo: true };

type Impl = typeof import('./index.js');
type Cell = 'lstm' | 'gru';

/** Same model size and step budget for both cells; `quick` is the smoke-size run. */
const SIZES = {
  full: { text: 'sherlock' as const, embeddingDim: 32, units: 96, layers: 1, dropout: 0, seqLength: 40, batchSize: 32, stepsPerEpoch: 60, valWindows: 256, learningRate: 0.01 },
  quick: { text: 'small' as const, embeddingDim: 16, units: 32, layers: 1, dropout: 0, seqLength: 20, batchSize: 16, stepsPerEpoch: 12, valWindows: 64, learningRate: 0.01 },
  /** npm start: the full model, bigger batches, DEMO_EPOCHS epochs */
  demo: { text: 'sherlock' as const, embeddingDim: 32, units: 96, layers: 1, dropout: 0, seqLength: 40, batchSize: 64, stepsPerEpoch: 100, valWindows: 256, learningRate: 0.01 },
};
const DEMO_EPOCHS = 6;
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
  const size = opts.quick ? SIZES.quick : opts.demo ? SIZES.demo : SIZES.full;
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.demo ? DEMO_EPOCHS : opts.epochs;
  const report = reportOf(opts);
  /** the sample printed after each epoch, per cell: the report shows the text learning */
  const epochSamples: Record<Cell, string[]> = { lstm: [], gru: [] };
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

  const runs: Record<Cell, { model: tf.LayersModel; history: Record<string, number[]>; curve: CurveData; seconds: number; resumedFrom: number | null }> = {} as never;
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
      curve: cell.toUpperCase(),
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
        epochSamples[cell][epoch] = sample;
        return { val_loss: e.loss, val_perplexity: e.perplexity, val_bits_per_char: e.bitsPerChar, val_accuracy: e.accuracy };
      },
    });
    runs[cell] = { model, history: result.history, curve: result.curve, seconds: (Date.now() - started) / 1000, resumedFrom: result.resumedFrom };
    stepFn.dispose();
    optimizer.dispose();
  }

  // ── plots ──
  const x = (runs.lstm.history.loss ?? []).map((_, i) => i + 1);
  const textName = size.text === 'sherlock' ? 'Sherlock Holmes' : 'the small text';
  const lossPng = stepCurveChart(path.join(opts.out, 'val-loss.png'), {
    title: `LSTM vs GRU on ${textName} (${size.units} units, same batches)`,
    yLabel: 'cross-entropy (nats / char)',
    stepIs: `${size.batchSize} windows × ${size.seqLength} chars`,
    series: [
      { label: 'LSTM training', curve: runs.lstm.curve, key: 'loss' },
      { label: 'GRU training', curve: runs.gru.curve, key: 'loss' },
      { label: 'LSTM validation', curve: runs.lstm.curve, key: 'val_loss', per: 'epoch' },
      { label: 'GRU validation', curve: runs.gru.curve, key: 'val_loss', per: 'epoch' },
    ],
    baselines: [{ label: `unigram baseline (${unigram.toFixed(2)})`, value: unigram }],
  });
  const plots = [lossPng];

  // ── final evaluation, table and samples ──
  const final: Record<string, { loss: number; perplexity: number; bitsPerChar: number; accuracy: number; params: number; seconds: number }> = {};
  for (const cell of ['lstm', 'gru'] as const) {
    const e = impl.evaluate(runs[cell].model, valSubset);
    final[cell] = { ...e, params: runs[cell].model.countParams(), seconds: runs[cell].seconds };
  }
  const perplexityPng = barChart(path.join(opts.out, 'perplexity.png'), {
      title: 'Validation perplexity (lower is better)',
      xLabel: 'model',
      yLabel: 'perplexity = exp(loss)',
      labels: ['uniform', 'unigram', 'LSTM', 'GRU'],
      series: [{ label: 'validation perplexity', data: [Math.exp(uniform), Math.exp(unigram), final.lstm!.perplexity, final.gru!.perplexity] }],
    });
  plots.push(perplexityPng);
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

  // ── the report ──
  const nChars = opts.quick ? 60 : 200;
  // generated text in a table cell: as code (spaces kept), line breaks shown as ↵
  const asText = (t: string | undefined) => (t === undefined ? '(resumed: not sampled)' : `\`${t.replace(/`/g, "'").replace(/\r?\n/g, '↵')}\``);
  report.section('1. Learning curves');
  report.text(
    `Both models trained on ${textName} (${text.length.toLocaleString('en')} characters, vocabulary ${vocab.size}) with the same budget: ` +
      `${epochs} epochs × ${size.stepsPerEpoch} steps of ${size.batchSize} windows of ${size.seqLength} characters, the same batches, Adam ${size.learningRate}, gradients clipped to norm ${CLIP_NORM}.`,
  );
  report.figure(lossPng, 'Cross-entropy per character: every training step (faint) with its moving average, and validation at the end of each epoch (points), against the unigram baseline (predicting character frequencies). Look for: both models dropping well below the baseline, and which one gets there first.');
  report.section('2. Perplexity');
  report.figure(perplexityPng, `Validation perplexity (e^loss: the number of equally likely characters the model is choosing between). A uniform guess scores ${Math.exp(uniform).toFixed(1)} (the vocabulary size). Look for: how far below the baselines the two models get.`);
  report.table({
    caption: `Validation on ${valSubset.n} windows of ${size.seqLength} characters.`,
    columns: ['model', 'loss (nats/char)', 'perplexity', 'bits/char', 'accuracy', 'parameters', 'train s'],
    rows: [
      ['uniform guess', uniform, Math.exp(uniform), uniform / Math.LN2, null, 0, null],
      ['unigram frequencies', unigram, Math.exp(unigram), unigram / Math.LN2, null, vocab.size, null],
      ...(['lstm', 'gru'] as const).map((c) => [c.toUpperCase(), final[c]!.loss, final[c]!.perplexity, final[c]!.bitsPerChar, pct(final[c]!.accuracy), final[c]!.params, Math.round(final[c]!.seconds)]),
    ],
  });
  report.section('3. What the models write');
  report.table({
    caption: `Text after each epoch (temperature 0.5, seed text ${JSON.stringify(SEED_TEXT)}, 80 characters). Look for: spaces and short words first, then longer words and punctuation.`,
    columns: ['epoch', 'LSTM', 'GRU'],
    rows: x.map((e) => [e, asText(epochSamples.lstm[e - 1]), asText(epochSamples.gru[e - 1])]),
  });
  report.table({
    caption: `The trained models at three temperatures (${nChars} characters after ${JSON.stringify(SEED_TEXT)}, sampling seed ${opts.seed}). Look for: repetition at 0.2 (always the likeliest character), invented words and odd punctuation at 1.0.`,
    columns: ['temperature', 'LSTM', 'GRU'],
    rows: TEMPERATURES.map((t) => [t, asText(samples[`lstm@${t}`]), asText(samples[`gru@${t}`])]),
  });
  const better = final.lstm!.loss <= final.gru!.loss ? 'lstm' : 'gru';
  const other = better === 'lstm' ? 'gru' : 'lstm';
  report.conclusion(
    `${better.toUpperCase()} reached ${final[better]!.loss.toFixed(3)} nats/char (perplexity ${final[better]!.perplexity.toFixed(2)}), ${other.toUpperCase()} ${final[other]!.loss.toFixed(3)} (${final[other]!.perplexity.toFixed(2)}): ` +
      `a difference of ${Math.abs(final.lstm!.loss - final.gru!.loss).toFixed(3)} nats/char with ${final[better]!.params} vs ${final[other]!.params} parameters.`,
  );
  const belowUnigram = (c: Cell) => unigram - final[c]!.loss;
  report.conclusion(
    belowUnigram('lstm') > 0 && belowUnigram('gru') > 0
      ? `Both beat the unigram baseline (${unigram.toFixed(3)} nats/char) by ${belowUnigram('lstm').toFixed(3)} (LSTM) and ${belowUnigram('gru').toFixed(3)} (GRU) nats/char: they use the preceding characters, not just character frequencies.`
      : `Not both models beat the unigram baseline (${unigram.toFixed(3)} nats/char): with this budget they have learned little beyond character frequencies; train longer (\`--epochs\`).`,
  );
  report.conclusion(`The LSTM predicted the next character correctly ${pct(final.lstm!.accuracy)} of the time, the GRU ${pct(final.gru!.accuracy)}; training took ${final.lstm!.seconds.toFixed(0)} s and ${final.gru!.seconds.toFixed(0)} s.`);

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
