/**
 * Saving models and training state to plain files, on any backend (tfjs's own `file://`
 * handler exists only with tfjs-node). The model format is tfjs "layers-model" (model.json +
 * weights.bin), so `tf.loadLayersModel('file://…/model.json')` reads it under tfjs-node too.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

/** Write atomically so an interrupted save never leaves a half-written file behind. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinWeightData(artifacts.weightData);
      writeAtomic(path.join(dir, 'weights.bin'), new Uint8Array(weights));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

export async function loadModel(dirOrJson: string): Promise<tf.LayersModel> {
  const jsonPath = dirOrJson.endsWith('.json') ? dirOrJson : path.join(dirOrJson, 'model.json');
  if (!existsSync(jsonPath)) {
    throw new CourseError(`no model at ${jsonPath}`, 'check the path (a folder with model.json + weights files), or re-create it with the command that trains it');
  }
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  const dir = path.dirname(jsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!existsSync(file)) throw new CourseError(`weights file ${file} is missing`, 'restore it (git checkout -- <path>) or re-create the model');
      const b = readFileSync(file);
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers) }),
  );
}

/** Raw named tensors (model or optimizer weights) ↔ a JSON index + one binary file. */
export interface NamedArrays {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function writeArrays(file: string, arrays: NamedArrays[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  const index = arrays.map((a) => {
    flat.set(a.data, offset);
    const entry = { name: a.name, shape: a.shape, offset, length: a.data.length };
    offset += a.data.length;
    return entry;
  });
  writeAtomic(`${file}.bin`, new Uint8Array(flat.buffer));
  writeAtomic(`${file}.json`, JSON.stringify(index));
}

export function readArrays(file: string): NamedArrays[] {
  const index = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { name: string; shape: number[]; offset: number; length: number }[];
  const b = readFileSync(`${file}.bin`);
  const flat = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return index.map((e) => ({ name: e.name, shape: e.shape, data: flat.slice(e.offset, e.offset + e.length) }));
}

export function modelArrays(model: tf.LayersModel): NamedArrays[] {
  return model.weights.map((w) => {
    const t = w.read();
    return { name: w.originalName, shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) };
  });
}

export function restoreModelArrays(model: tf.LayersModel, arrays: NamedArrays[], what: string): void {
  if (arrays.length !== model.weights.length) {
    throw new CourseError(
      `checkpoint for ${what} has ${arrays.length} weight tensors, the model has ${model.weights.length}`,
      'the model changed since the checkpoint was written: start fresh (without --resume) or delete the checkpoint folder',
    );
  }
  const tensors = arrays.map((a, i) => {
    const want = model.weights[i]!.shape;
    if (want.join(',') !== a.shape.join(',')) {
      throw new CourseError(
        `checkpoint weight ${a.name} has shape [${a.shape}], the model expects [${want}]`,
        'start fresh (without --resume) or delete the checkpoint folder',
      );
    }
    return tf.tensor(a.data, a.shape);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

export async function optimizerArrays(opt: tf.Optimizer): Promise<NamedArrays[]> {
  const named = await opt.getWeights();
  return named.map((n) => ({ name: n.name, shape: n.tensor.shape, data: Float32Array.from(n.tensor.dataSync() as Float32Array) }));
}

export async function restoreOptimizerArrays(opt: tf.Optimizer, arrays: NamedArrays[]): Promise<void> {
  if (arrays.length === 0) return;
  const named = arrays.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape) }));
  await opt.setWeights(named);
  // setWeights wraps each tensor in a new variable that shares its data; ours can go
  tf.dispose(named.map((n) => n.tensor));
}
