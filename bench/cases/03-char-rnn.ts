/**
 * 03-char-rnn: one training step of the full run's models (embedding 32 → 96-unit LSTM or GRU →
 * dense logits over an 80-character vocabulary) on 32 windows of 40 characters, through the
 * exercise's own trainStep (variableGrads, global-norm clipping, Adam).
 */
import * as tf from '@tensorflow/tfjs';
import { buildCharModel, makeOptimizer, trainStep } from '../../solutions/03-char-rnn/index.js';
import type { BenchCase } from './_shared.js';

const VOCAB = 80;
const BATCH = 32;
const SEQ = 40;

function charCase(cell: 'lstm' | 'gru'): BenchCase {
  return {
    name: `03-char-rnn-${cell}96-seq40`,
    exercise: '03-char-rnn',
    async setup() {
      const model = buildCharModel({ vocabSize: VOCAB, embeddingDim: 32, cell, units: 96, layers: 1, dropout: 0 });
      const optimizer = makeOptimizer(0.01);
      const x = tf.randomUniform([BATCH, SEQ], 0, VOCAB, 'int32', 1) as tf.Tensor2D;
      const y = tf.randomUniform([BATCH, SEQ], 0, VOCAB, 'int32', 2) as tf.Tensor2D;
      return {
        // the same trainStep through compileStep (it returns the loss it read as its last action)
        graph: { fn: (xb, yb) => trainStep(model, optimizer, xb, yb, 1), args: () => [x, y] },
        step(): void {
          trainStep(model, optimizer, x, y, 1); // returns the loss via dataSync, so the step really ran
        },
        dispose(): void {
          tf.dispose([x, y]);
          optimizer.dispose();
          model.dispose();
        },
      };
    },
  };
}

// The LSTM is the slower of the two cells (4 gates vs 3); bench/cases/gru-char.ts covers a GRU.
export const benchCase: BenchCase = charCase('lstm');
