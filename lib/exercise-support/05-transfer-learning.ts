/**
 * 05-transfer-learning — the options and result types, the constants and the learning-rate
 * check that are not the lesson, shared by the student stub and the reference; both index.ts
 * files re-export them.
 */
import type * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import type { History } from '../train/index.js';
import type { LabelledData } from '../models/transfer-data.js';

/** Every layer of the new head is named with this prefix, so fineTune can tell head from base. */
export const HEAD_PREFIX = 'head_';
/** fine-tuning must use a learning rate at least this many times smaller than the head's */
export const MIN_LR_RATIO = 10;

export interface TransferOptions {
  /** classes of the target task */
  numClasses: number;
  /** name of the last base layer to keep (its output feeds the head) */
  cutAt: string;
  /** true: the kept base layers are not trained (feature extraction) */
  freeze: boolean;
  /** optional hidden Dense layer (ReLU) in the head; 0 or absent = a single softmax layer */
  headUnits?: number;
  /** seed for the head's initialisers (default 0) */
  seed?: number;
}

export interface FineTuneOptions {
  /** first base layer to unfreeze: it and every base layer above it train; layers below stay frozen */
  unfreezeFrom: string;
  /** learning rate of the unfrozen base layers: at most headLearningRate / 10 */
  learningRate: number;
  /** learning rate of the head (layers named head_*) */
  headLearningRate: number;
  epochs: number;
  batchSize?: number;
  seed?: number;
  validation?: LabelledData;
  quiet?: boolean;
  label?: string;
}

/** Throws unless 0 < learningRate ≤ headLearningRate / 10. Call it first in fineTune. */
export function checkFineTuneRates(learningRate: number, headLearningRate: number): void {
  if (!(learningRate > 0 && headLearningRate > 0)) {
    throw new CourseError(
      `learning rates must be > 0, got learningRate ${learningRate}, headLearningRate ${headLearningRate}`,
      'pass e.g. { headLearningRate: 1e-3, learningRate: 1e-4 }',
    );
  }
  if (learningRate * MIN_LR_RATIO > headLearningRate * (1 + 1e-9)) {
    throw new CourseError(
      `fine-tuning learningRate ${learningRate} is not at least ${MIN_LR_RATIO}× smaller than headLearningRate ${headLearningRate}`,
      `use learningRate ≤ ${headLearningRate / MIN_LR_RATIO}: large steps on pretrained layers wipe out what they learned`,
    );
  }
}

export interface ProgressiveOptions extends Omit<FineTuneOptions, 'unfreezeFrom' | 'epochs'> {
  /** layers to unfreeze from, top first, e.g. ['fc1', 'conv3', 'conv2'] */
  stages: string[];
  epochsPerStage: number;
}

export type Strategy = 'scratch' | 'feature-extraction' | 'fine-tuning';
export const STRATEGIES: readonly Strategy[] = ['scratch', 'feature-extraction', 'fine-tuning'];

export interface CompareConfig {
  /** a fresh copy of the pretrained base on every call */
  loadBase: () => Promise<tf.LayersModel>;
  /** the same architecture with fresh random weights (the scratch starting point) */
  buildScratchBase: () => tf.LayersModel | Promise<tf.LayersModel>;
  /** labelled training examples per class, e.g. [25, 100, 500] */
  perClass: number[];
  epochs: number;
  batchSize: number;
  seed: number;
  /** validation set: loadTargetData('test', valPerClass, seed) */
  valPerClass: number;
  cutAt: string;
  unfreezeFrom: string;
  headLearningRate: number;
  /** base layers' learning rate in fine-tuning (≤ headLearningRate / 10) */
  fineTuneLearningRate: number;
  numClasses?: number;
  /** maps [n,28,28,1] images to the base's input (see lib/models/load-base.ts) */
  adapt?: (x: tf.Tensor4D) => tf.Tensor4D;
  quiet?: boolean;
}

export interface StrategyRun {
  strategy: Strategy;
  perClass: number;
  /** per epoch: loss and val_acc (accuracy on the validation set) */
  history: History;
  /** accuracy of the final model on the validation set */
  valAccuracy: number;
  /** the trained model; the caller disposes it */
  model: tf.LayersModel;
}
