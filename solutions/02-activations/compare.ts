/**
 * Task 2: a fair comparison of activation functions. Every activation gets the same MLP shape,
 * the same initial-weight seed, the same data in the same shuffled order and a fresh optimizer
 * of the same kind, so the only thing that differs between runs is the activation.
 */
import { makeRng } from '../../lib/random.js';
import {
  type ActivationName,
  type Dataset,
  type EpochLogs,
  buildMlp,
  disposeDataset,
  evaluate,
  loadFlatFashion,
  makeOptimizer,
  trainEpoch,
} from './mlp.js';
import {
  type ActivationHistory,
  type ActivationRun,
  type CompareConfig,
  checkCompareConfig,
  firstEpochReaching,
} from '../../lib/exercise-support/02-activations-compare.js';

// The config/result types and input checks are not the lesson: one copy in lib/, re-exported here.
export * from '../../lib/exercise-support/02-activations-compare.js';

function trainOne(activation: ActivationName, config: CompareConfig, train: Dataset, val: Dataset): ActivationRun {
  // Same seed for every activation: identical initial weights (up to the activation) and batches.
  const model = buildMlp({ activation, hidden: config.hidden, seed: config.seed, init: config.init });
  const optimizer = makeOptimizer(config.optimizer);
  const shuffleRng = makeRng(config.seed);
  const history: ActivationHistory = { loss: [], accuracy: [], valLoss: [], valAccuracy: [] };
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const start = performance.now();
    const logs: EpochLogs = trainEpoch(model, optimizer, train, config.batchSize, shuffleRng);
    trainSeconds += (performance.now() - start) / 1000;
    const valLogs = evaluate(model, val);
    history.loss.push(logs.loss);
    history.accuracy.push(logs.accuracy);
    history.valLoss.push(valLogs.loss);
    history.valAccuracy.push(valLogs.accuracy);
    config.onEpoch?.(activation, epoch, { loss: logs.loss, acc: logs.accuracy, val_loss: valLogs.loss, val_acc: valLogs.accuracy });
  }
  optimizer.dispose();
  const run: ActivationRun = {
    activation,
    secondsPerEpoch: trainSeconds / config.epochs,
    history,
    finalValAccuracy: history.valAccuracy[history.valAccuracy.length - 1]!,
    epochsToTarget: firstEpochReaching(history.valAccuracy, config.targetAccuracy),
  };
  if (config.returnModels) run.model = model;
  else model.dispose();
  return run;
}

/** Trains the same MLP once per activation; results come back in the order of `activations`. */
export function compareActivations(config: CompareConfig): ActivationRun[] {
  checkCompareConfig(config);
  const train = loadFlatFashion('train', config.data.trainPerClass, config.seed);
  const val = loadFlatFashion('test', config.data.valPerClass, config.seed);
  try {
    return config.activations.map((activation) => trainOne(activation, config, train, val));
  } finally {
    disposeDataset(train);
    disposeDataset(val);
  }
}
