/**
 * 03-char-rnn — reference solution: a character-level language model.
 *
 * Text → sorted character vocabulary → integer ids → sliding windows (input = seqLength chars,
 * target = the same window shifted one character right) → embedding → LSTM/GRU layers → dense
 * logits over the vocabulary. Trained with softmax cross-entropy from logits, Adam and
 * gradient-norm clipping; sampled one character at a time with temperature and top-k.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import {
  type CharModelConfig,
  type Evaluation,
  type GenerateOptions,
  type SplitOptions,
  type Vocab,
  type Windows,
  concatWindows,
  windowBatch,
} from '../../lib/exercise-support/03-char-rnn.js';

// The types (Vocab, Windows, SplitOptions, CharModelConfig, GenerateOptions, Evaluation) and the
// given helpers concatWindows and windowBatch are not the lesson: one copy in lib/, re-exported here.
export * from '../../lib/exercise-support/03-char-rnn.js';

// ───────────────────────────── Task 1: vocabulary and windows ─────────────────────────────

/** Every distinct character of `text`, sorted, so the same text always gives the same ids. */
export function buildVocab(text: string): Vocab {
  if (text.length === 0) {
    throw new CourseError('buildVocab got an empty text', 'pass the training text (e.g. loadText("small"))');
  }
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i] as [string, number]));
  return { chars, index, size: chars.length };
}

/** Characters → ids. A character outside the vocabulary is an error, not a silent 0. */
export function encode(vocab: Vocab, text: string): Int32Array {
  const chars = [...text]; // code points, like buildVocab's Set, so 'é' or an emoji is one character
  const ids = new Int32Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    const id = vocab.index.get(chars[i]!);
    if (id === undefined) {
      throw new CourseError(
        `character ${JSON.stringify(chars[i])} (position ${i}) is not in the vocabulary`,
        'build the vocabulary from a text that contains it, or remove that character from the input',
      );
    }
    ids[i] = id;
  }
  return ids;
}

/** Ids → characters (inverse of encode). */
export function decode(vocab: Vocab, ids: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < ids.length; i++) {
    const c = vocab.chars[ids[i]!];
    if (c === undefined) {
      throw new CourseError(`id ${ids[i]} is outside the vocabulary (size ${vocab.size})`, 'decode only ids in 0..vocab.size-1');
    }
    out += c;
  }
  return out;
}

/**
 * Windows of `seqLength` characters every `step` characters; the target of each position is the
 * next character, so targets are the inputs shifted left by one (a window reads seqLength + 1
 * characters). `offset` is added to `starts` (the position of `ids` in a longer text).
 */
export function makeWindows(ids: ArrayLike<number>, seqLength: number, step: number, offset = 0): Windows {
  if (!(seqLength >= 1 && step >= 1)) {
    throw new CourseError(`seqLength=${seqLength}, step=${step}`, 'use seqLength >= 1 and step >= 1');
  }
  const starts: number[] = [];
  for (let s = 0; s + seqLength + 1 <= ids.length; s += step) starts.push(s);
  const n = starts.length;
  const inputs = new Int32Array(n * seqLength);
  const targets = new Int32Array(n * seqLength);
  starts.forEach((s, i) => {
    for (let t = 0; t < seqLength; t++) {
      inputs[i * seqLength + t] = ids[s + t]!;
      targets[i * seqLength + t] = ids[s + t + 1]!;
    }
  });
  return { inputs, targets, n, seqLength, starts: starts.map((s) => s + offset) };
}

/**
 * Train/validation split BY POSITION: cut the ids into `blocks` contiguous blocks, pick a seeded
 * set of them for validation, and make windows inside each block only. Shuffling windows and
 * then splitting would leak: neighbouring windows share almost all their characters.
 */
export function splitWindows(ids: ArrayLike<number>, opts: SplitOptions): { train: Windows; val: Windows } {
  const { seqLength, step, valFraction, seed } = opts;
  const blocks = opts.blocks ?? 10;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new CourseError(`valFraction=${valFraction}`, 'use a validation fraction between 0 and 1, e.g. 0.1');
  }
  const blockLen = Math.floor(ids.length / blocks);
  if (blockLen < seqLength + 1) {
    throw new CourseError(
      `text of ${ids.length} characters is too short for ${blocks} blocks of windows of ${seqLength} + 1`,
      'use a longer text, fewer blocks or a shorter seqLength',
    );
  }
  const nVal = Math.max(1, Math.round(valFraction * blocks));
  // Seeded Fisher–Yates: the first nVal block numbers are validation.
  const rng = makeRng(seed);
  const order = Array.from({ length: blocks }, (_, i) => i);
  for (let i = blocks - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const isVal = new Set(order.slice(0, nVal));
  const train: Windows[] = [];
  const val: Windows[] = [];
  for (let b = 0; b < blocks; b++) {
    const start = b * blockLen;
    const end = b === blocks - 1 ? ids.length : start + blockLen;
    const piece = Array.prototype.slice.call(ids, start, end) as number[];
    (isVal.has(b) ? val : train).push(makeWindows(piece, seqLength, step, start));
  }
  return { train: concatWindows(train, seqLength), val: concatWindows(val, seqLength) };
}

// ───────────────────────────── Task 2: the model ─────────────────────────────

/**
 * Embedding → `layers` recurrent layers (each returning the whole sequence) → dense logits.
 * Input [batch, time] int ids (any time length); output [batch, time, vocabSize] logits (no
 * softmax: the loss and the sampler apply it themselves, which is more stable).
 */
export function buildCharModel(config: CharModelConfig): tf.LayersModel {
  const { vocabSize, embeddingDim, cell, units, layers, dropout } = config;
  if (cell !== 'lstm' && cell !== 'gru') {
    throw new CourseError(`unknown cell ${JSON.stringify(cell)}`, "use cell: 'lstm' or cell: 'gru'");
  }
  if (!(layers >= 1)) throw new CourseError(`layers=${layers}`, 'use at least one recurrent layer');
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: vocabSize, outputDim: embeddingDim, inputShape: [null] }));
  for (let l = 0; l < layers; l++) {
    const rnn = {
      units,
      returnSequences: true,
      // tfjs's default 'orthogonal' recurrent initializer runs a JS QR decomposition and warns
      // for matrices over 2000 entries (every recurrent kernel here: units × 4·units). With short
      // windows and gradient clipping, Glorot-uniform trains just as well and stays quiet.
      recurrentInitializer: 'glorotUniform' as const,
    };
    model.add(cell === 'lstm' ? tf.layers.lstm(rnn) : tf.layers.gru(rnn));
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
  }
  model.add(tf.layers.dense({ units: vocabSize }));
  return model;
}

// ───────────────────────────── Task 3: training ─────────────────────────────

/**
 * Mean softmax cross-entropy between integer targets [batch, time] and logits
 * [batch, time, vocab]: −mean log softmax(logits)[target].
 */
export function sequenceLoss(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const vocab = logits.shape[logits.shape.length - 1]!;
    const flatLogits = logits.reshape([-1, vocab]);
    const flatTargets = targets.reshape([-1]).toInt();
    const logProbs = tf.logSoftmax(flatLogits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(flatTargets, vocab)), -1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Rescale all gradients together so their global L2 norm is at most maxNorm. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const sq = names.map((n) => tf.sum(tf.square(grads[n]!)));
    const norm = tf.sqrt(tf.addN(sq));
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm)); // 1 when norm ≤ maxNorm
    const out: tf.NamedTensorMap = {};
    for (const n of names) out[n] = tf.mul(grads[n]!, scale);
    return out;
  });
}

/**
 * One optimisation step: forward in training mode (dropout on), loss from logits, gradients of
 * the model's trainable weights, clip to `clipNorm`, apply with the optimizer. Returns the loss.
 */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
  clipNorm = 1,
): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return sequenceLoss(y, logits);
    }, model.trainableWeights.map((w) => w.read() as tf.Variable));
    optimizer.applyGradients(clipByGlobalNorm(grads, clipNorm));
    return value.dataSync()[0]!;
  });
}

/** Adam with the learning rate used throughout this exercise. */
export function makeOptimizer(learningRate = 0.01): tf.Optimizer {
  return tf.train.adam(learningRate);
}

// ───────────────────────────── Task 4: sampling ─────────────────────────────

/** Next-character probabilities from one row of logits after temperature and top-k. */
export function nextCharProbs(logits: ArrayLike<number>, temperature: number, topK = 0): Float64Array {
  const v = logits.length;
  const probs = new Float64Array(v);
  let keep = Array.from({ length: v }, (_, i) => i);
  if (topK > 0 && topK < v) keep = keep.sort((a, b) => logits[b]! - logits[a]!).slice(0, topK);
  if (temperature <= 0) {
    let best = keep[0]!;
    for (const i of keep) if (logits[i]! > logits[best]!) best = i;
    probs[best] = 1;
    return probs;
  }
  // softmax(logits / T) over the kept characters; subtract the max for stability.
  let max = -Infinity;
  for (const i of keep) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (const i of keep) {
    probs[i] = Math.exp(logits[i]! / temperature - max);
    sum += probs[i]!;
  }
  for (const i of keep) probs[i] /= sum;
  return probs;
}

/**
 * Continue `seedText` by `length` characters, one at a time: run the model on the latest
 * `contextLength` characters, take the logits of the last position, sample. Returns only the
 * new characters.
 */
export function generate(
  model: tf.LayersModel,
  vocab: Vocab,
  seedText: string,
  length: number,
  opts: GenerateOptions = {},
): string {
  const { temperature = 1, topK = 0, seed = 0, contextLength = 64 } = opts;
  if (seedText.length === 0) throw new CourseError('generate needs a non-empty seedText', 'pass a few characters to start from');
  const rng = makeRng(seed);
  const ids = Array.from(encode(vocab, seedText));
  let out = '';
  for (let i = 0; i < length; i++) {
    const context = ids.slice(-contextLength);
    const last = tf.tidy(() => {
      const logits = model.predict(tf.tensor2d(context, [1, context.length], 'int32')) as tf.Tensor;
      return logits.slice([0, context.length - 1, 0], [1, 1, vocab.size]).dataSync();
    });
    const probs = nextCharProbs(last, temperature, topK);
    let r = rng.next();
    let next = probs.length - 1;
    for (let k = 0; k < probs.length; k++) {
      r -= probs[k]!;
      if (r < 0) {
        next = k;
        break;
      }
    }
    // rounding can leave r ≥ 0 at the end: fall back to the last character with probability > 0
    while (probs[next] === 0 && next > 0) next--;
    ids.push(next);
    out += vocab.chars[next]!;
  }
  return out;
}

// ───────────────────────────── Task 5: evaluation ─────────────────────────────

export function perplexity(lossNats: number): number {
  return Math.exp(lossNats);
}

export function bitsPerChar(lossNats: number): number {
  return lossNats / Math.LN2;
}

/** Loss, perplexity, bits/char and accuracy over every window (inference mode: no dropout). */
export function evaluate(model: tf.LayersModel, windows: Windows, batchSize = 64): Evaluation {
  let lossSum = 0;
  let correct = 0;
  const T = windows.seqLength;
  for (let b = 0; b < windows.n; b += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, windows.n - b) }, (_, k) => b + k);
    const [l, c] = tf.tidy(() => {
      const { x, y } = windowBatch(windows, idx);
      const logits = model.predict(x) as tf.Tensor;
      // weight each batch by its size so a short last batch doesn't count as much as a full one
      const loss = sequenceLoss(y, logits).mul(idx.length * T);
      const hits = tf.equal(tf.argMax(logits, -1).toInt(), y).sum();
      return [loss.dataSync()[0]!, hits.dataSync()[0]!];
    });
    lossSum += l;
    correct += c;
  }
  const count = windows.n * T;
  const loss = lossSum / count;
  return { loss, perplexity: perplexity(loss), bitsPerChar: bitsPerChar(loss), accuracy: correct / count };
}
