/**
 * Graded tests for 05-transfer-learning. Every check trains or evaluates by itself: weights are
 * read back and compared, accuracy is recomputed on data the test loads on its own.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as impl from '@target/05-transfer-learning/index.js';
import { buildBaseCnn } from '../lib/pretrain/transfer-base.js';
import { loadBase } from '../lib/models/load-base.js';
import { loadTargetData, type LabelledData } from '../lib/models/transfer-data.js';
import { countLeak, leakDetails } from '../lib/train/guard.js';
import { CourseError } from '../lib/errors.js';
import { observe } from '../lib/grader/observe.js';
import { expectCourseError, expectCourseErrorAsync } from './support/course-error.js';
import { constantImages, recordImageRows } from './support/record-inputs.js';


const BASE_LAYERS = ['conv1', 'conv2', 'conv3', 'fc1'];

/** Leaf layers of a model, looking inside nested models (a student may nest the base). */
function leafLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) out.push(...leafLayers(layer));
    else if (layer.getClassName() !== 'InputLayer') out.push(layer);
  }
  return out;
}

function layerByName(model: tf.LayersModel, name: string): tf.layers.Layer {
  const layer = leafLayers(model).find((l) => l.name === name);
  if (!layer) throw new Error(`test: the transfer model has no layer '${name}' (layers: ${leafLayers(model).map((l) => l.name).join(', ')})`);
  return layer;
}

/** Raw bytes of every weight of a layer (bit-exact comparison). */
function weightBytes(layer: tf.layers.Layer): Uint8Array[] {
  // getWeights() hands out the live variables' values: copy, never dispose them
  return layer.getWeights().map((w) => new Uint8Array(Float32Array.from(w.dataSync() as Float32Array).buffer));
}

function sameBytes(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => v === b[i]![j]));
}

function maxChange(a: Uint8Array[], b: Uint8Array[]): number {
  let max = 0;
  a.forEach((bytes, i) => {
    const x = new Float32Array(bytes.buffer);
    const y = new Float32Array(b[i]!.buffer);
    for (let j = 0; j < x.length; j++) max = Math.max(max, Math.abs(x[j]! - y[j]!));
  });
  return max;
}

function snapshot(model: tf.LayersModel): Map<string, Uint8Array[]> {
  return new Map(leafLayers(model).map((l) => [l.name, weightBytes(l)]));
}

/** mean categorical cross-entropy of the model on (x, y), computed here */
function lossOf(model: tf.LayersModel, data: LabelledData): number {
  return tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(data.y, model.predict(data.x) as tf.Tensor)).dataSync()[0]!);
}

function accuracyOf(model: tf.LayersModel, data: LabelledData): number {
  const pred = tf.tidy(() => (model.predict(data.x, { batchSize: 256 }) as tf.Tensor).argMax(-1).dataSync());
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === data.labels[i]) hits++;
  return hits / pred.length;
}

/** A few Adam steps on the model as it comes back from buildTransferModel (compiled here). */
async function trainSteps(model: tf.LayersModel, data: LabelledData, steps: number, lr = 0.01): Promise<void> {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  for (let s = 0; s < steps; s++) await model.trainOnBatch(data.x, data.y);
}

function withData<T>(perClass: number, seed: number, fn: (d: LabelledData) => Promise<T>): Promise<T> {
  const data = loadTargetData('train', perClass, seed);
  return fn(data).finally(() => tf.dispose([data.x, data.y]));
}

describe('task 1: buildTransferModel', () => {
  it('returns class probabilities of shape [n, numClasses] when cut at a dense or a conv layer', () => {
    // numClasses 2: the smallest the contract allows ("an integer ≥ 2"), a boundary a `> 2` check would refuse
    for (const [cutAt, numClasses] of [['fc1', 5], ['pool2', 2]] as const) {
      const model = impl.buildTransferModel(buildBaseCnn(3), { numClasses, cutAt, freeze: true });
      const probs = tf.tidy(() => model.predict(tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5)) as tf.Tensor);
      expect(probs.shape).toEqual([4, numClasses]);
      const sums = probs.sum(-1);
      for (const s of sums.dataSync()) expect(s).toBeCloseTo(1, 4);
      // the parent repeats both checks (test/05-transfer-learning.judge.ts)
      observe(`probs ${cutAt}`, { shape: probs.shape, sums: sums.dataSync() });
      tf.dispose([probs, sums]);
    }
  });

  it('keeps the pretrained weights of the layers up to cutAt and drops the layers above it', () => {
    const base = buildBaseCnn(4);
    const before = new Map(BASE_LAYERS.map((n) => [n, weightBytes(base.getLayer(n))]));
    const model = impl.buildTransferModel(base, { numClasses: 5, cutAt: 'fc1', freeze: true });
    for (const name of BASE_LAYERS) expect(sameBytes(weightBytes(layerByName(model, name)), before.get(name)!), name).toBe(true);
    expect(leafLayers(model).some((l) => l.name === 'logits'), 'the source head (logits) must be cut off').toBe(false);
  });

  it('rejects an unknown cutAt layer with a message naming it', () => {
    const base = buildBaseCnn(5);
    expect(() => impl.buildTransferModel(base, { numClasses: 5, cutAt: 'conv9', freeze: true })).toThrow(/conv9/);
    // "…whose message names it and lists the base's layer names" (the message or its fix line:
    // CourseError's text carries both); the input layer is not a place to cut, so it may be left out
    const text = String((() => {
      try {
        impl.buildTransferModel(base, { numClasses: 5, cutAt: 'conv9', freeze: true });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })());
    const names = base.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
    const missing = names.filter((n) => !text.includes(n));
    expect(missing, `the message should list the base's layer names (${names.join(', ')}); it was: ${text}`).toEqual([]);
    observe('message', text);
    base.dispose();
  });

  it('freeze: true keeps every base layer bit-identical while the model trains', async () => {
    await withData(4, 11, async (data) => {
      const model = impl.buildTransferModel(buildBaseCnn(6), { numClasses: 5, cutAt: 'fc1', freeze: true });
      const before = snapshot(model);
      await trainSteps(model, data, 3);
      const after = snapshot(model);
      for (const name of BASE_LAYERS) {
        expect(sameBytes(after.get(name)!, before.get(name)!), `frozen layer ${name} changed by ${maxChange(after.get(name)!, before.get(name)!)}`).toBe(true);
      }
    });
  });

  it('the new head trains: its weights change and the loss falls', async () => {
    await withData(4, 12, async (data) => {
      const model = impl.buildTransferModel(buildBaseCnn(7), { numClasses: 5, cutAt: 'fc1', freeze: true });
      const head = leafLayers(model).filter((l) => !BASE_LAYERS.includes(l.name) && l.countParams() > 0);
      expect(head.length, 'the head needs at least one layer with weights').toBeGreaterThan(0);
      const before = head.map(weightBytes);
      const loss0 = lossOf(model, data);
      await trainSteps(model, data, 10);
      head.forEach((l, i) => expect(sameBytes(weightBytes(l), before[i]!), `head layer ${l.name} did not change`).toBe(false));
      // measured (wasm, seed 7): 1.9 → well under 1.5 after 10 steps at lr 0.01
      expect(lossOf(model, data)).toBeLessThan(loss0 * 0.9);
    });
  });

  it('names every head layer HEAD_PREFIX… (flatten, hidden, output) and seeds its initial weights with opts.seed', () => {
    // The stub's contract: "every head layer's name starts with HEAD_PREFIX (fineTune tells head
    // from base by it)" and "the head's initial weights depend only on opts.seed". Cut at a conv
    // layer with a hidden layer: flatten + ReLU dense + softmax, three new layers.
    const build = (seed: number) => impl.buildTransferModel(buildBaseCnn(9), { numClasses: 4, cutAt: 'pool2', freeze: true, headUnits: 8, seed });
    const a = build(3);
    const baseNames = new Set(['conv1', 'pool1', 'conv2', 'pool2']);
    const head = leafLayers(a).filter((l) => !baseNames.has(l.name));
    expect(head.map((l) => l.name), 'the new layers: a flatten, the hidden ReLU layer and the softmax layer').toHaveLength(3);
    for (const l of head) expect(l.name.startsWith(impl.HEAD_PREFIX), `head layer '${l.name}' must be named ${impl.HEAD_PREFIX}…`).toBe(true);
    // the names are judged again by the parent; the seeded weights below are not (weights of three models)
    observe('head', { prefix: impl.HEAD_PREFIX, names: head.map((l) => l.name) });
    const weighted = (m: tf.LayersModel) => leafLayers(m).filter((l) => l.name.startsWith(impl.HEAD_PREFIX) && l.countParams() > 0).map(weightBytes);
    const again = build(3);
    const other = build(4);
    expect(weighted(again).every((w, i) => sameBytes(w, weighted(a)[i]!)), 'same seed: the same initial head weights').toBe(true);
    expect(weighted(other).some((w, i) => !sameBytes(w, weighted(a)[i]!)), 'another seed: other initial head weights').toBe(true);
    for (const m of [a, again, other]) m.dispose();
  });

  it('freeze: false lets the base layers train too', async () => {
    await withData(4, 13, async (data) => {
      const model = impl.buildTransferModel(buildBaseCnn(8), { numClasses: 5, cutAt: 'fc1', freeze: false });
      const before = snapshot(model);
      await trainSteps(model, data, 2);
      const after = snapshot(model);
      for (const name of BASE_LAYERS) expect(sameBytes(after.get(name)!, before.get(name)!), `${name} should train`).toBe(false);
    });
  });
});

/**
 * Task 2 is graded on a frozen transfer model built here (not by the student's task-1 code), so a
 * task-1 mistake doesn't cost task-2 points: base layers conv1…fc1 frozen, a softmax head_out.
 */
function frozenTransferModel(seed: number): tf.LayersModel {
  const base = buildBaseCnn(seed);
  const probs = tf.layers
    .dense({ name: `${impl.HEAD_PREFIX}out`, units: 5, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) })
    .apply(base.getLayer('fc1').output) as tf.SymbolicTensor;
  for (const name of BASE_LAYERS) base.getLayer(name).trainable = false;
  return tf.model({ inputs: base.inputs, outputs: probs });
}

describe('task 2: fineTune', () => {
  it('changes only the layers from unfreezeFrom upwards and the head', async () => {
    await withData(4, 21, async (data) => {
      const model = frozenTransferModel(9);
      const before = snapshot(model);
      await impl.fineTune(model, data, { unfreezeFrom: 'conv3', learningRate: 1e-3, headLearningRate: 1e-2, epochs: 1, batchSize: 10, quiet: true });
      const after = snapshot(model);
      for (const name of ['conv1', 'conv2']) expect(sameBytes(after.get(name)!, before.get(name)!), `${name} is below unfreezeFrom and must stay frozen`).toBe(true);
      for (const name of ['conv3', 'fc1']) expect(sameBytes(after.get(name)!, before.get(name)!), `${name} should be fine-tuned`).toBe(false);
      const head = leafLayers(model).filter((l) => !BASE_LAYERS.includes(l.name) && l.countParams() > 0);
      for (const l of head) expect(sameBytes(after.get(l.name)!, before.get(l.name)!), `head layer ${l.name} should train`).toBe(false);
      // "Layer trainable flags end up saying the same": what trained is trainable, what did not is not
      for (const name of ['conv1', 'conv2']) expect(layerByName(model, name).trainable, `${name}.trainable after fineTune from conv3`).toBe(false);
      for (const l of [layerByName(model, 'conv3'), layerByName(model, 'fc1'), ...head]) expect(l.trainable, `${l.name}.trainable after fineTune from conv3`).toBe(true);
    });
  });

  it('moves the base with the small learning rate and the head with the large one', async () => {
    await withData(4, 22, async (data) => {
      const model = frozenTransferModel(10);
      const before = snapshot(model);
      // one Adam step (20 examples, batch 20): Adam's first update of each weight is lr·g/(|g|+ε),
      // so the largest change in a layer is just under its learning rate.
      await impl.fineTune(model, data, { unfreezeFrom: 'fc1', learningRate: 1e-4, headLearningRate: 1e-2, epochs: 1, batchSize: 20, quiet: true });
      const after = snapshot(model);
      const fc1 = maxChange(after.get('fc1')!, before.get('fc1')!);
      expect(fc1, 'fc1 should move by about learningRate (1e-4)').toBeGreaterThan(0.5e-4);
      expect(fc1, 'fc1 moved by more than learningRate: is it trained with the head learning rate?').toBeLessThan(1.05e-4);
      const head = leafLayers(model).filter((l) => !BASE_LAYERS.includes(l.name) && l.countParams() > 0);
      const headChange = Math.max(...head.map((l) => maxChange(after.get(l.name)!, before.get(l.name)!)));
      expect(headChange, 'the head should move by about headLearningRate (1e-2)').toBeGreaterThan(0.5e-2);
      expect(headChange).toBeLessThan(1.05e-2);
    });
  });

  it('refuses a fine-tuning learning rate that is not 10× below the head rate', async () => {
    await withData(2, 23, async (data) => {
      const model = frozenTransferModel(11);
      const before = snapshot(model);
      await expect(
        impl.fineTune(model, data, { unfreezeFrom: 'conv3', learningRate: 5e-3, headLearningRate: 1e-2, epochs: 1, batchSize: 10, quiet: true }),
      ).rejects.toThrow(/10/);
      const after = snapshot(model);
      for (const name of BASE_LAYERS) expect(sameBytes(after.get(name)!, before.get(name)!), `${name} must not train after a refused call`).toBe(true);
    });
  });

  it('fineTune trains in shuffled mini-batches of batchSize (default 32), every image once per epoch, the order seeded by opts.seed', async () => {
    // 40 constant images (test/support/record-inputs.ts) and the model's apply/predict recorded:
    // the batches fineTune really feeds, not what it reports.
    const { images, values } = constantImages(40);
    const labels = Int32Array.from(values, (_, i) => i % 5);
    const data: LabelledData = { x: images, y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 5).toFloat() as tf.Tensor2D), labels };
    const batchesOf = async (opts: { epochs: number; batchSize?: number; seed?: number }): Promise<number[][]> => {
      const model = frozenTransferModel(30);
      const seen = recordImageRows(model, values);
      const sizes: number[] = [];
      const apply = model.apply.bind(model);
      (model as unknown as { apply: typeof apply }).apply = (x, kw) => {
        const before = seen.length;
        const out = apply(x, kw);
        sizes.push(seen.length - before);
        return out;
      };
      await impl.fineTune(model, data, { unfreezeFrom: 'fc1', learningRate: 1e-4, headLearningRate: 1e-3, quiet: true, ...opts });
      model.dispose();
      // split the recorded rows into the batches that were fed
      const out: number[][] = [];
      let k = 0;
      for (const n of sizes.filter((n) => n > 0)) {
        out.push(seen.slice(k, k + n));
        k += n;
      }
      return out;
    };
    const two = await batchesOf({ epochs: 2, batchSize: 16, seed: 4 });
    expect(two.map((b) => b.length), 'batch sizes over 2 epochs of 40 images in batches of 16').toEqual([16, 16, 8, 16, 16, 8]);
    const epoch1 = two.slice(0, 3).flat();
    const epoch2 = two.slice(3).flat();
    for (const e of [epoch1, epoch2]) expect([...e].sort((a, b) => a - b), 'every image exactly once per epoch').toEqual(values.map((_, i) => i));
    expect(epoch1, 'the order is shuffled, not 0, 1, 2, …').not.toEqual(values.map((_, i) => i));
    expect(epoch2, 'each epoch draws a new order').not.toEqual(epoch1);
    expect((await batchesOf({ epochs: 1, batchSize: 16, seed: 4 })).flat(), 'the same seed gives the same first epoch').toEqual(epoch1);
    expect((await batchesOf({ epochs: 1, batchSize: 16, seed: 5 })).flat(), 'another seed gives another order').not.toEqual(epoch1);
    expect((await batchesOf({ epochs: 1 })).map((b) => b.length), 'default batchSize 32').toEqual([32, 8]);
    tf.dispose([data.x, data.y]);
  });

  it('fineTune leaves no tensors behind', async () => {
    await withData(2, 24, async (data) => {
      const model = frozenTransferModel(12);
      const leak = await countLeak(
        () => impl.fineTune(model, data, { unfreezeFrom: 'conv3', learningRate: 1e-4, headLearningRate: 1e-3, epochs: 1, batchSize: 5, quiet: true }),
        2,
      );
      expect(leak, leakDetails()).toBe(0);
      // "its optimisers are disposed even when training throws": a validation set whose images
      // throw when read, i.e. at the end of the first epoch, after both optimisers have stepped
      const failing = {
        get x(): never {
          throw new Error('test: the validation images failed to load');
        },
        y: data.y,
        labels: data.labels,
      } as unknown as LabelledData;
      const thrown = await countLeak(async () => {
        await expect(
          impl.fineTune(model, data, { unfreezeFrom: 'conv3', learningRate: 1e-4, headLearningRate: 1e-3, epochs: 1, batchSize: 5, quiet: true, validation: failing }),
          'fineTune should pass on the error thrown by its training loop',
        ).rejects.toThrow(/validation images failed/);
      }, 2);
      expect(thrown, `left behind when training throws (optimisers not disposed in a finally?): ${leakDetails()}`).toBe(0);
    });
  });

  it('bonus: progressiveFineTune unfreezes one more block per stage', async () => {
    await withData(4, 25, async (data) => {
      const model = frozenTransferModel(13);
      const start = snapshot(model);
      const history = await impl.progressiveFineTune(model, data, {
        stages: ['fc1', 'conv3'],
        epochsPerStage: 1,
        learningRate: 1e-3,
        headLearningRate: 1e-2,
        batchSize: 10,
        quiet: true,
      });
      const end = snapshot(model);
      expect(history.loss?.length).toBe(2);
      for (const name of ['conv1', 'conv2']) expect(sameBytes(end.get(name)!, start.get(name)!), `${name} is never unfrozen`).toBe(true);
      for (const name of ['conv3', 'fc1']) expect(sameBytes(end.get(name)!, start.get(name)!), `${name} is unfrozen by a stage`).toBe(false);
    });
  });

  it('bad arguments are CourseErrors: numClasses, unknown or head layers, progressive stages empty or not going down', async () => {
    const base = buildBaseCnn(3);
    for (const numClasses of [1, 2.5]) {
      expectCourseError(() => impl.buildTransferModel(base, { numClasses, cutAt: 'fc1', freeze: true }), `numClasses ${numClasses}`);
    }
    expectCourseError(() => impl.buildTransferModel(base, { numClasses: 5, cutAt: 'conv9', freeze: true }));
    const model = frozenTransferModel(14);
    const rates = { learningRate: 1e-4, headLearningRate: 1e-2, epochs: 1 };
    await withData(2, 26, async (data) => {
      const head = model.layers.find((l) => l.name.startsWith(impl.HEAD_PREFIX))!.name;
      for (const unfreezeFrom of ['conv9', head]) {
        await expectCourseErrorAsync(() => impl.fineTune(model, data, { ...rates, unfreezeFrom }), `unfreezeFrom '${unfreezeFrom}'`);
      }
      const stages = (s: string[]) => impl.progressiveFineTune(model, data, { ...rates, stages: s, epochsPerStage: 1 });
      await expectCourseErrorAsync(() => stages([]), 'no stages');
      await expectCourseErrorAsync(() => stages(['conv3', 'fc1']), "stages ['conv3', 'fc1'] go up");
      await expectCourseErrorAsync(() => stages(['fc1', 'fc1']), "stages ['fc1', 'fc1'] repeat");
    });
    base.dispose();
    model.dispose();
  });
});

/** One optimiser seen applying gradients: its class, learning rate and the variables it updated. */
interface OptimizerUse {
  kind: string;
  learningRate: number;
  variables: Set<string>;
}

/**
 * Runs `fn` while recording every optimiser step (applyGradients of every tf optimiser class,
 * which model.fit, trainWithAdam and optimizer.minimize all end in). The prototypes are restored
 * before this returns, so nothing outlives the call.
 */
async function observeOptimizers<T>(fn: () => Promise<T>): Promise<{ result: T; uses: OptimizerUse[] }> {
  type Apply = (this: tf.Optimizer, grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]) => void;
  const uses = new Map<tf.Optimizer, OptimizerUse>();
  const patched: [{ applyGradients: Apply }, Apply][] = [];
  for (const value of Object.values(tf)) {
    if (typeof value !== 'function' || !(value.prototype instanceof tf.Optimizer)) continue;
    const proto = value.prototype as { applyGradients: Apply };
    if (!Object.prototype.hasOwnProperty.call(proto, 'applyGradients')) continue;
    const original = proto.applyGradients;
    patched.push([proto, original]);
    proto.applyGradients = function (this: tf.Optimizer, grads) {
      let use = uses.get(this);
      if (!use) {
        const learningRate = (this as unknown as { learningRate: number }).learningRate;
        use = { kind: this.getClassName(), learningRate, variables: new Set() };
        uses.set(this, use);
      }
      for (const name of Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads)) use.variables.add(name);
      return original.call(this, grads);
    };
  }
  try {
    return { result: await fn(), uses: [...uses.values()] };
  } finally {
    for (const [proto, original] of patched) proto.applyGradients = original;
  }
}

/** The tf.Variable names behind a layer's trainable weights. */
function variableNames(layer: tf.layers.Layer): string[] {
  return layer.trainableWeights.map((w) => (w.read() as tf.Variable).name);
}

describe('task 3: compareStrategies', () => {
  // Small config, measured on wasm (2 shared cores): see the margin test for numbers.
  const config = {
    perClass: [25],
    epochs: 6,
    batchSize: 25,
    seed: 5,
    valPerClass: 40,
    cutAt: 'flatten',
    unfreezeFrom: 'conv3',
    headLearningRate: 1e-2,
    fineTuneLearningRate: 1e-3,
    quiet: true,
  };
  let pending: Promise<impl.StrategyRun[]> | null = null;
  let optimizerUses: OptimizerUse[] = [];
  /** run once, shared by the tests below (each awaits it, so a stub fails each of them) */
  const runs = () =>
    (pending ??= observeOptimizers(() =>
      impl.compareStrategies({
        ...config,
        loadBase: async () => (await loadBase()).model,
        buildScratchBase: () => buildBaseCnn(99),
      }),
    ).then(({ result, uses }) => {
      optimizerUses = uses;
      return result;
    }));

  // first in this block on purpose: it triggers the shared run, so mutation testing's per-test
  // coverage (StrykerJS) credits the strategy code to it and runs it against those mutants
  it('each strategy trains exactly the weights it claims: scratch all, feature extraction the head, fine-tuning the head and the base from unfreezeFrom up at its own rate (observed)', async () => {
    // Observed from the optimisers' steps (observeOptimizers), not from trainable flags: the set
    // of this model's variables any optimiser updated must be exactly the strategy's set, and in
    // fine-tuning the base's share moves at fineTuneLearningRate, the head's at headLearningRate.
    const result = await runs();
    // judged per run below: first make sure every strategy ran (an empty result judges nothing)
    expect(result.map((r) => r.strategy).sort()).toEqual(['feature-extraction', 'fine-tuning', 'scratch']);
    const adamAt = (lr: number) => `${tf.AdamOptimizer.className} at learning rate ${lr}`;
    const problems: string[] = [];
    for (const r of result) {
      const layers = leafLayers(r.model).filter((l) => l.weights.length > 0);
      const isHead = (l: tf.layers.Layer) => l.name.startsWith(impl.HEAD_PREFIX);
      const order = leafLayers(r.model).map((l) => l.name);
      const fromIndex = order.indexOf(config.unfreezeFrom);
      if (r.strategy === 'fine-tuning' && fromIndex < 0) problems.push(`fine-tuning: the model has no layer '${config.unfreezeFrom}'`);
      const claimed = (l: tf.layers.Layer): string | null => {
        if (r.strategy === 'scratch') return adamAt(config.headLearningRate);
        if (isHead(l)) return adamAt(config.headLearningRate);
        if (r.strategy === 'fine-tuning' && order.indexOf(l.name) >= fromIndex) return adamAt(config.fineTuneLearningRate);
        return null; // frozen: no optimiser may touch it
      };
      for (const layer of layers) {
        const want = claimed(layer);
        for (const v of layer.weights.map((w) => (w.read() as tf.Variable).name)) {
          const by = [...new Set(optimizerUses.filter((u) => u.variables.has(v)).map((u) => `${u.kind} at learning rate ${u.learningRate}`))];
          const got = by.join(' + ') || 'nothing';
          if (got !== (want ?? 'nothing')) problems.push(`${r.strategy}: ${layer.name} (${v}) trained by ${got}, expected ${want ?? 'nothing (frozen)'}`);
        }
      }
    }
    expect(problems, problems.slice(0, 4).join('\n')).toEqual([]);
  });

  it('runs every strategy once per labelled-set size for the same number of epochs', async () => {
    const result = await runs();
    expect(result.map((r) => r.strategy).sort()).toEqual(['feature-extraction', 'fine-tuning', 'scratch']);
    const seen: { strategy: string; perClass: number; losses?: number; valAccs?: number; outputShape: number[] }[] = [];
    for (const r of result) {
      expect(r.perClass).toBe(25);
      expect(r.history.loss?.length, `${r.strategy}: loss per epoch`).toBe(config.epochs);
      expect(r.history.val_acc?.length, `${r.strategy}: val_acc per epoch`).toBe(config.epochs);
      const out = tf.tidy(() => r.model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor);
      expect(out.shape).toEqual([2, 5]);
      seen.push({ strategy: r.strategy, perClass: r.perClass, losses: r.history.loss?.length, valAccs: r.history.val_acc?.length, outputShape: out.shape });
      out.dispose();
    }
    // the counts and shapes, judged again by the parent (not the training behind them)
    observe('runs', seen);
  });

  it('reports validation accuracy measured on the held-out validation set', async () => {
    const result = await runs();
    const val = loadTargetData('test', config.valPerClass, config.seed);
    try {
      for (const r of result) {
        const measured = accuracyOf(r.model, val);
        expect(Math.abs(r.valAccuracy - measured), `${r.strategy}: reported ${r.valAccuracy}, measured ${measured} on the validation set`).toBeLessThan(0.006);
        expect(Math.abs(r.history.val_acc!.at(-1)! - measured), `${r.strategy}: last val_acc`).toBeLessThan(0.006);
      }
    } finally {
      tf.dispose([val.x, val.y]);
    }
  });

  it('every strategy trains its head (and scratch its whole network) with the same optimiser and learning rate (observed)', async () => {
    const result = await runs();
    /** the optimisers (class + learning rate) seen updating a variable */
    const updaters = (name: string) => [...new Set(optimizerUses.filter((u) => u.variables.has(name)).map((u) => `${u.kind} at learning rate ${u.learningRate}`))];
    const expected = `${tf.AdamOptimizer.className} at learning rate ${config.headLearningRate}`;
    const seen: Record<string, string[]> = {};
    for (const r of result) {
      const layers = leafLayers(r.model).filter((l) => l.trainableWeights.length > 0);
      const output = layers.at(-1)!;
      // the scratch run trains everything; the others' base is judged by the task-1/2 tests
      const judged = r.strategy === 'scratch' ? layers : [output];
      for (const layer of judged) {
        for (const name of variableNames(layer)) {
          const by = updaters(name);
          expect(by.length, `${r.strategy}: no optimiser step was seen on ${layer.name} (${name})`).toBeGreaterThan(0);
          seen[`${r.strategy} ${layer.name}`] = by;
        }
      }
    }
    const unfair = Object.entries(seen)
      .filter(([, by]) => by.length !== 1 || by[0] !== expected)
      .map(([what, by]) => `${what} trained with ${by.join(' + ')}`);
    expect(unfair.length, `expected ${expected} everywhere, but ${unfair.slice(0, 3).join('; ')}`).toBe(0);
  });

  it('compareStrategies rejects bad learning rates with a CourseError before it loads or builds any model', async () => {
    // "bad rates are rejected first": without the early check the scratch and feature-extraction
    // runs train first and only fineTune refuses, minutes later.
    // The spies fail at once (a plain Error, not the CourseError asked for), so code that starts
    // a run before checking the rates is caught without training anything.
    let built = 0;
    const tooEarly = (): never => {
      built++;
      throw new Error('test: a model was requested before the learning rates were checked');
    };
    const spyConfig = { ...config, loadBase: async () => tooEarly(), buildScratchBase: () => tooEarly() };
    for (const [fineTuneLearningRate, headLearningRate] of [[config.headLearningRate, config.headLearningRate], [1e-3, 0]] as const) {
      await expectCourseErrorAsync(() => impl.compareStrategies({ ...spyConfig, fineTuneLearningRate, headLearningRate }), `fineTuneLearningRate ${fineTuneLearningRate}, headLearningRate ${headLearningRate}`);
    }
    expect(built, 'models loaded or built before the rates were checked').toBe(0);
  });

  it('compareStrategies disposes its data sets even when a run throws', async () => {
    // "every data set is disposed at the end (disposeData), even when a run throws": the model
    // sources fail (a plain Error, after the rates are checked and the data sets loaded), so the
    // run throws without training anything; whatever was loaded must be freed on the way out.
    const failing = async (): Promise<never> => {
      throw new Error('test: the base failed to load');
    };
    const failingConfig = { ...config, loadBase: failing, buildScratchBase: failing };
    const leak = await countLeak(async () => {
      await expect(impl.compareStrategies(failingConfig), 'compareStrategies should pass on the error of a failed run').rejects.toThrow(/base failed to load/);
    }, 1);
    expect(leak, `tensors left behind by a compareStrategies run that threw (data sets not disposed in a finally?): ${leakDetails()}`).toBe(0);
  });

  it('the returned models share no layers or weights; the feature-extraction base keeps the pretrained weights', async () => {
    const result = await runs();
    const owners = new Map<object, string>();
    for (const r of result) {
      for (const layer of leafLayers(r.model)) {
        for (const obj of [layer, ...layer.weights.map((w) => w.read())]) {
          const other = owners.get(obj);
          expect(other === undefined || other === r.strategy, `${layer.name} is the same object in the ${other} and the ${r.strategy} model`).toBe(true);
          owners.set(obj, r.strategy);
        }
      }
    }
    // Frozen feature extraction must end with the base it loaded: nothing that ran later (the
    // fine-tuning run) may have changed it.
    const fe = result.find((r) => r.strategy === 'feature-extraction')!;
    const pretrained = (await loadBase()).model;
    try {
      const kept = leafLayers(fe.model).filter((l) => l.weights.length > 0 && pretrained.layers.some((p) => p.name === l.name));
      expect(kept.length, 'the feature-extraction model keeps no pretrained layer').toBeGreaterThan(0);
      for (const layer of kept) {
        const want = weightBytes(pretrained.getLayer(layer.name));
        expect(sameBytes(weightBytes(layer), want), `feature-extraction layer ${layer.name} differs from the pretrained weights by up to ${maxChange(weightBytes(layer), want)}`).toBe(true);
      }
    } finally {
      pretrained.dispose();
    }
  });

  it('with 25 labels per class, feature extraction beats training from scratch on held-out data', async () => {
    const result = await runs();
    // The test's own held-out set: 100 test-split images per class under another seed.
    const heldOut = loadTargetData('test', 100, 777);
    try {
      const acc = Object.fromEntries(result.map((r) => [r.strategy, accuracyOf(r.model, heldOut)]));
      // Measured on wasm with this config: scratch 0.888, feature extraction 0.920, fine-tuning
      // 0.932 (seed 6: 0.828 / 0.902 / 0.900). The gain is real but modest for this small base,
      // so the bar is 1.5 points; a frozen-base bug or unequal training shows up far below it.
      expect(acc['feature-extraction']! - acc['scratch']!, JSON.stringify(acc)).toBeGreaterThan(0.015);
      expect(acc['fine-tuning']! - acc['scratch']!, JSON.stringify(acc)).toBeGreaterThan(0.015);
    } finally {
      tf.dispose([heldOut.x, heldOut.y]);
    }
  });
});
