/**
 * 03-char-rnn — YOUR CODE goes in the TODO blocks below.
 *
 * A character-level language model: text → sorted character vocabulary → integer ids →
 * sliding windows (input = seqLength characters, target = the same window shifted one character
 * right) → embedding → LSTM/GRU layers → dense logits over the vocabulary. Trained with softmax
 * cross-entropy from logits, Adam and gradient-norm clipping; sampled one character at a time
 * with temperature and top-k; evaluated with loss, perplexity and bits per character.
 *
 * Shapes: a batch of windows is x, y int32 [batch, seqLength]; the model maps x to logits
 * [batch, seqLength, vocabSize] (one next-character prediction per position).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';
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

// Used by the reference solution; kept so your TODO code can use them without new imports.
void CourseError;
void makeRng;
void concatWindows;
void windowBatch;

// ───────────────────────────── Task 1: vocabulary and windows ─────────────────────────────

/** Every distinct character of `text`, sorted, so the same text always gives the same ids. */
export function buildVocab(text: string): Vocab {
  // TODO (task 1): collect the distinct characters of `text` (a Set iterates code points),
  // sort them (plain .sort() is fine) and build `index` (char → position in the sorted list).
  // An empty text is bad input: throw new CourseError(problem, fix).
  void text;
  throw new NotImplemented('buildVocab');
}

/** Characters → ids. A character outside the vocabulary is an error, not a silent 0. */
export function encode(vocab: Vocab, text: string): Int32Array {
  // TODO (task 1): one id per character of `text` (iterate with for…of or [...text]).
  // For a character missing from vocab.index throw a CourseError whose message NAMES the
  // character (JSON.stringify(c) shows '\n' readably) and whose fix says what to do.
  void vocab;
  void text;
  throw new NotImplemented('encode');
}

/** Ids → characters (inverse of encode). */
export function decode(vocab: Vocab, ids: ArrayLike<number>): string {
  // TODO (task 1): vocab.chars[id] for each id, joined. decode(v, encode(v, s)) must equal s.
  void vocab;
  void ids;
  throw new NotImplemented('decode');
}

/**
 * Windows of `seqLength` characters every `step` characters; the target of each position is the
 * next character. `offset` is added to `starts` (the position of `ids` in a longer text).
 */
export function makeWindows(ids: ArrayLike<number>, seqLength: number, step: number, offset = 0): Windows {
  // TODO (task 1): for s = 0, step, 2·step, … while the window still fits:
  //   inputs  row = ids[s],   …, ids[s + seqLength − 1]
  //   targets row = ids[s+1], …, ids[s + seqLength]      (shifted by ONE: the next character)
  // so a window reads seqLength + 1 characters: s + seqLength + 1 <= ids.length.
  // Example: ids 0..19, seqLength 5, step 3 → starts [0, 3, 6, 9, 12].
  // Return starts with `offset` added.
  void ids;
  void seqLength;
  void step;
  void offset;
  throw new NotImplemented('makeWindows');
}

/** Train/validation split BY POSITION (see the TODO). */
export function splitWindows(ids: ArrayLike<number>, opts: SplitOptions): { train: Windows; val: Windows } {
  // TODO (task 1): do NOT make all windows and shuffle them into two sets: neighbouring windows
  // share almost all their characters, so validation would be text the model trained on.
  // Instead:
  //   1. cut ids into `blocks` (default 10) contiguous blocks of floor(ids.length / blocks)
  //      (the last block takes the remainder);
  //   2. pick max(1, round(valFraction · blocks)) of them for validation with a seeded shuffle
  //      (makeRng(opts.seed));
  //   3. make windows INSIDE each block (makeWindows on the block's slice, offset = block start)
  //      so no window crosses a block boundary; concatWindows the train and the val parts.
  // Bad options (valFraction outside (0,1), blocks shorter than seqLength + 1) → CourseError.
  void ids;
  void opts;
  throw new NotImplemented('splitWindows');
}

// ───────────────────────────── Task 2: the model ─────────────────────────────

/** Embedding → `layers` recurrent layers → dense logits; input [batch, time] ids, any time length. */
export function buildCharModel(config: CharModelConfig): tf.LayersModel {
  // TODO (task 2): a tf.sequential() with
  //   tf.layers.embedding({ inputDim: vocabSize, outputDim: embeddingDim, inputShape: [null] })
  //   then `layers` times: tf.layers.lstm or tf.layers.gru({ units, returnSequences: true })
  //        (returnSequences: every position predicts its next character), followed by a
  //        tf.layers.dropout({ rate: dropout }) when dropout > 0;
  //   then tf.layers.dense({ units: vocabSize }) with NO activation: the output is logits,
  //        the loss and the sampler apply the softmax themselves.
  // Tip: tfjs's default recurrentInitializer 'orthogonal' prints a warning for matrices over
  // 2000 entries (it runs a slow JS QR); 'glorotUniform' is quiet and trains fine here.
  void config;
  throw new NotImplemented('buildCharModel');
}

// ───────────────────────────── Task 3: training ─────────────────────────────

/** Mean softmax cross-entropy of integer targets [batch, time] under logits [batch, time, vocab]. */
export function sequenceLoss(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  // TODO (task 3): loss = −mean over all positions of log softmax(logits)[target].
  // Reshape logits to [−1, vocab] and targets to [−1]; tf.logSoftmax is stable (don't take
  // tf.log(tf.softmax(…))); pick the target column with tf.oneHot (or gather). Wrap in tf.tidy.
  // The model outputs LOGITS: do not apply a softmax before this.
  void targets;
  void logits;
  throw new NotImplemented('sequenceLoss');
}

/** Rescale all gradients together so their global L2 norm is at most maxNorm. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  // TODO (task 3): norm = sqrt(Σ over ALL tensors of Σ g²); multiply every gradient by
  // maxNorm / max(norm, maxNorm) (1 when the norm is already small). One scale for all tensors
  // keeps the update's direction. Return new tensors (tf.tidy returns a map of them).
  void grads;
  void maxNorm;
  throw new NotImplemented('clipByGlobalNorm');
}

/** One optimisation step; returns the batch loss before the update. */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor, clipNorm = 1): number {
  // TODO (task 3): inside tf.tidy:
  //   const { value, grads } = tf.variableGrads(() => sequenceLoss(y, model.apply(x, { training: true }) as tf.Tensor),
  //                                             model.trainableWeights.map((w) => w.read() as tf.Variable));
  //   optimizer.applyGradients(clipByGlobalNorm(grads, clipNorm));
  //   return value.dataSync()[0];
  // (training: true switches dropout on; model.predict would switch it off.)
  void model;
  void optimizer;
  void x;
  void y;
  void clipNorm;
  throw new NotImplemented('trainStep');
}

/** Adam with the given learning rate. */
export function makeOptimizer(learningRate = 0.01): tf.Optimizer {
  // TODO (task 3): tf.train.adam(learningRate).
  void learningRate;
  throw new NotImplemented('makeOptimizer');
}

// ───────────────────────────── Task 4: sampling ─────────────────────────────

/** Next-character probabilities from one row of logits after temperature and top-k. */
export function nextCharProbs(logits: ArrayLike<number>, temperature: number, topK = 0): Float64Array {
  // TODO (task 4): plain JS on a few dozen numbers (no tensors needed).
  //   - topK > 0: only the k largest logits may be chosen; the others get probability 0.
  //   - temperature <= 0: greedy, probability 1 on the largest (kept) logit.
  //   - else softmax(logits / temperature) over the kept entries (subtract the max first).
  //     DIVIDE by the temperature: T < 1 sharpens, T > 1 flattens.
  void logits;
  void temperature;
  void topK;
  throw new NotImplemented('nextCharProbs');
}

/** Continue `seedText` by `length` characters; returns only the new characters. */
export function generate(model: tf.LayersModel, vocab: Vocab, seedText: string, length: number, opts: GenerateOptions = {}): string {
  // TODO (task 4): defaults temperature 1, topK 0, seed 0, contextLength 64.
  //   rng = makeRng(seed); ids = encode(vocab, seedText)
  //   repeat `length` times:
  //     context = the last contextLength ids → tensor [1, context.length] int32
  //     logits of the LAST position: model.predict(...) then slice → dataSync()
  //        (do the tensor work inside tf.tidy so nothing leaks per character)
  //     probs = nextCharProbs(logits, temperature, topK)
  //     sample: r = rng.next(); walk the cumulative probabilities until they pass r
  //     push the id, append vocab.chars[id] to the output
  // Same seed → same text; temperature 0 → the same text whatever the seed.
  void model;
  void vocab;
  void seedText;
  void length;
  void opts;
  throw new NotImplemented('generate');
}

// ───────────────────────────── Task 5: evaluation ─────────────────────────────

export function perplexity(lossNats: number): number {
  // TODO (task 5): the loss is in nats (natural log), so perplexity = e^loss.
  void lossNats;
  throw new NotImplemented('perplexity');
}

export function bitsPerChar(lossNats: number): number {
  // TODO (task 5): nats → bits: divide by ln 2 (Math.LN2).
  void lossNats;
  throw new NotImplemented('bitsPerChar');
}

/** Loss, perplexity, bits/char and accuracy over every window (inference mode: no dropout). */
export function evaluate(model: tf.LayersModel, windows: Windows, batchSize = 64): Evaluation {
  // TODO (task 5): loop over the windows in batches (windowBatch), model.predict (inference
  // mode), sum sequenceLoss × (number of positions in the batch) and the count of positions
  // where argMax(logits) equals the target. Divide by the total number of positions
  // (windows.n · seqLength) — a plain mean of per-batch means over-weights a short last batch.
  // Read numbers out inside tf.tidy so nothing leaks.
  void model;
  void windows;
  void batchSize;
  throw new NotImplemented('evaluate');
}
