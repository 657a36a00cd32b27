/**
 * 03-char-rnn — the types and given helpers that are not the lesson, shared by the student stub
 * and the reference; both index.ts files re-export them.
 *
 * Shapes: a batch of windows is x, y int32 [batch, seqLength]; the model maps x to logits
 * [batch, seqLength, vocabSize] (one next-character prediction per position).
 */
import * as tf from '@tensorflow/tfjs';

export interface Vocab {
  /** the distinct characters, sorted by code unit; id = position in this list */
  chars: string[];
  /** character → id */
  index: Map<string, number>;
  size: number;
}

/** n windows, row-major: inputs[i*seqLength + t] is character t of window i. */
export interface Windows {
  inputs: Int32Array;
  targets: Int32Array;
  n: number;
  seqLength: number;
  /** position in the id array where each window's input starts */
  starts: number[];
}

export interface SplitOptions {
  seqLength: number;
  step: number;
  valFraction: number;
  seed: number;
  /** the text is cut into this many equal blocks; a seeded choice of them is validation */
  blocks?: number;
}

/** Concatenate windows made from separate pieces of text. */
export function concatWindows(parts: Windows[], seqLength: number): Windows {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const inputs = new Int32Array(n * seqLength);
  const targets = new Int32Array(n * seqLength);
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    inputs.set(p.inputs, at);
    targets.set(p.targets, at);
    starts.push(...p.starts);
    at += p.n * seqLength;
  }
  return { inputs, targets, n, seqLength, starts };
}

export interface CharModelConfig {
  vocabSize: number;
  embeddingDim: number;
  cell: 'lstm' | 'gru';
  units: number;
  layers: number;
  dropout: number;
}

/** A batch of windows as tensors: x, y int32 [batch, seqLength]. */
export function windowBatch(w: Windows, indices: readonly number[]): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const T = w.seqLength;
  const xs = new Int32Array(indices.length * T);
  const ys = new Int32Array(indices.length * T);
  indices.forEach((i, r) => {
    xs.set(w.inputs.subarray(i * T, (i + 1) * T), r * T);
    ys.set(w.targets.subarray(i * T, (i + 1) * T), r * T);
  });
  return { x: tf.tensor2d(xs, [indices.length, T], 'int32'), y: tf.tensor2d(ys, [indices.length, T], 'int32') };
}

export interface GenerateOptions {
  /** 0 = greedy (always the most likely character); higher = more random */
  temperature?: number;
  /** sample only among the k most likely characters (0 or undefined = all) */
  topK?: number;
  seed?: number;
  /** the model sees at most this many of the latest characters */
  contextLength?: number;
}

export interface Evaluation {
  /** mean cross-entropy per character, in nats */
  loss: number;
  /** exp(loss): the model is as unsure as a uniform choice among this many characters */
  perplexity: number;
  /** loss / ln 2 */
  bitsPerChar: number;
  /** how often the most likely character is the right one */
  accuracy: number;
}
