/**
 * 03-char-rnn — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the function must
 * do (contract, shapes, edge cases, errors); HOW is in the hints: `course hint 03-char-rnn`.
 *
 * A character-level language model: text → character vocabulary → integer ids → windows whose
 * target is the next character → a recurrent network that outputs, at every position, a score
 * (logit) for every character of the vocabulary. Trained to minimise cross-entropy, sampled one
 * character at a time, evaluated by loss, perplexity and bits per character.
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
  // TODO (task 1): return a Vocab whose `chars` lists every distinct character of `text` exactly
  // once (a character = a Unicode code point, so 'é' or an emoji is one), in ascending order,
  // `index` maps each character to its position in `chars`, and `size` is their number.
  // Same text → same vocabulary, whatever the order of the characters in it.
  // Edge case: an empty text has no vocabulary → throw a CourseError (problem + fix).
  void text;
  throw new NotImplemented('buildVocab');
}

/** Characters → ids. A character outside the vocabulary is an error, not a silent 0. */
export function encode(vocab: Vocab, text: string): Int32Array {
  // TODO (task 1): one id per character (code point) of `text`, in order; '' gives an empty array.
  // Edge case: a character that is not in the vocabulary must not become a silent 0 — throw a
  // CourseError whose problem NAMES that character (quoted, so '\n' is readable) and whose fix
  // says what to do about it.
  void vocab;
  void text;
  throw new NotImplemented('encode');
}

/** Ids → characters (inverse of encode). */
export function decode(vocab: Vocab, ids: ArrayLike<number>): string {
  // TODO (task 1): the inverse of encode: decode(v, encode(v, s)) === s for every s made of
  // vocabulary characters. An id outside 0 … size−1 is a CourseError, not "undefined" in the text.
  void vocab;
  void ids;
  throw new NotImplemented('decode');
}

/**
 * Windows of `seqLength` characters every `step` characters; the target of each position is the
 * next character. `offset` is added to `starts` (the position of `ids` in a longer text).
 */
export function makeWindows(ids: ArrayLike<number>, seqLength: number, step: number, offset = 0): Windows {
  // TODO (task 1): windows start at 0, step, 2·step, …; every window that fits entirely in `ids`
  // is included, none that doesn't. In window i (row-major, see Windows), position t has
  // input = the character at starts[i] + t and target = the character that FOLLOWS it in `ids`.
  // Example: ids 0..19, seqLength 5, step 3 → 5 windows; the first has inputs 0 1 2 3 4 and
  // targets 1 2 3 4 5; starts = [0, 3, 6, 9, 12] (+ offset). Too few ids → n = 0, not an error.
  // seqLength < 1 or step < 1 → CourseError.
  void ids;
  void seqLength;
  void step;
  void offset;
  throw new NotImplemented('makeWindows');
}

/** Train/validation split BY POSITION (see the TODO). */
export function splitWindows(ids: ArrayLike<number>, opts: SplitOptions): { train: Windows; val: Windows } {
  // TODO (task 1): split the TEXT, not a shuffled list of windows: neighbouring windows share
  // almost all their characters, so validation must be text no training window has read.
  // Contract:
  //   - the ids are cut into `blocks` (default 10) contiguous blocks of ⌊length / blocks⌋ ids,
  //     the last one taking the remainder; max(1, round(valFraction · blocks)) of them are
  //     validation, the rest training;
  //   - which blocks are validation depends only on opts.seed (same seed → same split; other
  //     seeds → other blocks);
  //   - no window crosses a block boundary; windows are as makeWindows makes them, and
  //     `starts` are positions in the whole `ids`.
  // valFraction outside (0, 1), or blocks too short for one window → CourseError.
  void ids;
  void opts;
  throw new NotImplemented('splitWindows');
}

// ───────────────────────────── Task 2: the model ─────────────────────────────

/** Embedding → `layers` recurrent layers → dense logits; input [batch, time] ids, any time length. */
export function buildCharModel(config: CharModelConfig): tf.LayersModel {
  // TODO (task 2): the network, from bottom to top:
  //   - each id → a learned vector of `embeddingDim` numbers;
  //   - `layers` recurrent layers of `units` units, all of kind `cell` ('lstm' | 'gru'), each
  //     passing its output at EVERY time step to the next (every position predicts), each
  //     followed by dropout at rate `dropout` when dropout > 0;
  //   - a fully connected layer to `vocabSize` outputs with no activation: the output is
  //     LOGITS (the loss and the sampler apply the softmax themselves).
  // Input [batch, time] ids for ANY time length; output [batch, time, vocabSize].
  // Parameter count (the test computes it): embedding V·E; per recurrent layer with input width
  // `in`: LSTM 4·(in·u + u·u + u), GRU 3·(in·u + u·u + u); output layer u·V + V.
  // An unknown cell or layers < 1 → CourseError.
  void config;
  throw new NotImplemented('buildCharModel');
}

// ───────────────────────────── Task 3: training ─────────────────────────────

/** Mean softmax cross-entropy of integer targets [batch, time] under logits [batch, time, vocab]. */
export function sequenceLoss(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  // TODO (task 3): L = −(1/N) Σ over all N = batch·time positions of ln p(target | position),
  // where p = softmax of that position's logits (the model outputs LOGITS: no softmax before
  // this). A scalar in nats; an untrained model scores ≈ ln(vocabSize). It must stay finite for
  // large logits (±1000) and be differentiable (it is what trainStep minimises).
  // Leaves no intermediate tensors behind (only the returned scalar is new).
  void targets;
  void logits;
  throw new NotImplemented('sequenceLoss');
}

/** Rescale all gradients together so their global L2 norm is at most maxNorm. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  // TODO (task 3): the global norm is ‖g‖ = √(Σ over ALL tensors, Σ over their entries, g²).
  // Return a map with the same names and shapes: unchanged values when ‖g‖ ≤ maxNorm, otherwise
  // every gradient times the SAME factor maxNorm / ‖g‖ (the direction of the update is kept,
  // its global norm becomes maxNorm). Return new tensors; do not dispose the inputs.
  void grads;
  void maxNorm;
  throw new NotImplemented('clipByGlobalNorm');
}

/** One optimisation step; returns the batch loss before the update. */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor, clipNorm = 1): number {
  // TODO (task 3): one step of gradient descent on sequenceLoss(y, logits of x):
  //   - the forward pass runs in TRAINING mode (dropout active);
  //   - the gradient is taken with respect to the model's trainable weights only;
  //   - it is clipped to global norm `clipNorm` (clipByGlobalNorm) before the optimizer
  //     updates the weights;
  //   - returns the loss of this batch BEFORE the update, as a number;
  //   - no tensors left behind (the optimizer's own state excepted).
  void model;
  void optimizer;
  void x;
  void y;
  void clipNorm;
  throw new NotImplemented('trainStep');
}

/** Adam with the given learning rate. */
export function makeOptimizer(learningRate = 0.01): tf.Optimizer {
  // TODO (task 3): an Adam optimizer (the course's default: adaptive per-weight steps from
  // running means of the gradient and its square) with this learning rate.
  void learningRate;
  throw new NotImplemented('makeOptimizer');
}

// ───────────────────────────── Task 4: sampling ─────────────────────────────

/** Next-character probabilities from one row of logits after temperature and top-k. */
export function nextCharProbs(logits: ArrayLike<number>, temperature: number, topK = 0): Float64Array {
  // TODO (task 4): a probability per character (same length as `logits`, sums to 1):
  //   - topK > 0: only the k largest logits may be chosen; all others get probability 0
  //     (topK = 0 or ≥ length: all are kept);
  //   - temperature ≤ 0: greedy: probability 1 on the largest kept logit, 0 elsewhere;
  //   - otherwise p_i = e^(z_i / T) / Σ_kept e^(z_j / T) over the kept entries: T < 1 sharpens,
  //     T > 1 flattens, T = 1 is the plain softmax. Must not overflow for logits like 1000.
  void logits;
  void temperature;
  void topK;
  throw new NotImplemented('nextCharProbs');
}

/** Continue `seedText` by `length` characters; returns only the new characters. */
export function generate(model: tf.LayersModel, vocab: Vocab, seedText: string, length: number, opts: GenerateOptions = {}): string {
  // TODO (task 4): autoregressive sampling. Options default to temperature 1, topK 0, seed 0,
  // contextLength 64 — and 0 is a real value (temperature 0 = greedy).
  // Each of the `length` new characters is drawn from nextCharProbs of the model's logits at
  // the LAST position, given (at most) the latest contextLength characters so far (seed text +
  // what was generated), with randomness only from makeRng(seed). Inference mode.
  // Returns exactly `length` characters, all from the vocabulary, none outside the top-k.
  // Same seed → same text; temperature 0 → the same text for every seed. An empty seedText or a
  // seed character outside the vocabulary → CourseError. No tensor may leak per character.
  void model;
  void vocab;
  void seedText;
  void length;
  void opts;
  throw new NotImplemented('generate');
}

// ───────────────────────────── Task 5: evaluation ─────────────────────────────

export function perplexity(lossNats: number): number {
  // TODO (task 5): perplexity of a loss in nats per character: the number of equally likely
  // characters that would be as uncertain (uniform over V characters → V).
  void lossNats;
  throw new NotImplemented('perplexity');
}

export function bitsPerChar(lossNats: number): number {
  // TODO (task 5): the same loss in bits (log base 2) instead of nats (natural log).
  void lossNats;
  throw new NotImplemented('bitsPerChar');
}

/** Loss, perplexity, bits/char and accuracy over every window (inference mode: no dropout). */
export function evaluate(model: tf.LayersModel, windows: Windows, batchSize = 64): Evaluation {
  // TODO (task 5): over ALL windows, in batches of at most batchSize, in inference mode
  // (dropout off):
  //   loss     = the mean cross-entropy over every position of every window (each position
  //              counts once: a short last batch must not weigh as much as a full one);
  //   accuracy = the share of positions where the most likely character is the target;
  //   perplexity and bitsPerChar of that loss.
  // No tensors left behind.
  void model;
  void windows;
  void batchSize;
  throw new NotImplemented('evaluate');
}
