/**
 * Synchronous reads (dataSync, arraySync) for tfjs's webgpu backend under Node.
 *
 * In a browser, tfjs-backend-webgpu reads a GPU buffer synchronously by drawing it into an
 * OffscreenCanvas; Node has none, so every `dataSync()` would throw "OffscreenCanvas is not
 * defined" — and the course's code and tests read values synchronously in many places.
 *
 * Dawn's Node binding (npm `webgpu`) completes async work (mapAsync, onSubmittedWorkDone) in an
 * event pump: a native callback it schedules with the *global* `setImmediate`, which calls
 * `wgpuInstanceProcessEvents` and schedules itself again while work is pending
 * (src/dawn/node/binding/AsyncRunner.cpp). `installDawnPump()` wraps the global `setImmediate`
 * before Dawn is created so the pump's callbacks are known; a synchronous read then maps its
 * staging buffer and turns the pump itself until the mapping is done, napping between turns so
 * the GPU driver's threads (lavapipe's on a CPU machine) get the cores.
 *
 * The same wrapper also paces the pump: Dawn reschedules it with setImmediate for as long as any
 * promise is pending, a busy loop that competes with a software GPU for the CPU; after a few
 * back-to-back turns it waits a timer tick (~1 ms) between turns instead.
 */
import type * as tfjs from '@tensorflow/tfjs';

type Pump = () => void;
type Handle = { kind: 'immediate'; h: NodeJS.Immediate } | { kind: 'timeout'; h: NodeJS.Timeout };

const pumps = new Map<Pump, Handle>();
let installed = false;
/** turns of the pump in a row that rescheduled themselves (reset when one doesn't) */
let streak = 0;
let inPump = false;
/** back-to-back turns before the pump waits a timer tick between turns */
const EAGER_TURNS = 16;

/** Dawn's pump: a native, nameless, argument-less function (Napi::Function::New(env, lambda)). */
function isDawnPump(fn: unknown, args: unknown[]): fn is Pump {
  return (
    typeof fn === 'function' &&
    args.length === 0 &&
    fn.length === 0 &&
    fn.name === '' &&
    Function.prototype.toString.call(fn).endsWith('{ [native code] }')
  );
}

function runPump(fn: Pump): void {
  pumps.delete(fn);
  inPump = true;
  const before = pumps.size;
  try {
    fn();
  } finally {
    inPump = false;
  }
  if (pumps.size === before) streak = 0; // it did not reschedule: nothing pending any more
}

/** Wrap the global setImmediate (once, before Dawn's `create()`): see the file comment. */
export function installDawnPump(): void {
  if (installed) return;
  installed = true;
  const realSetImmediate = globalThis.setImmediate;
  const wrapped = function setImmediate(fn: (...a: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate {
    if (!isDawnPump(fn, args)) return realSetImmediate(fn, ...args);
    streak = inPump ? streak + 1 : 0;
    if (streak > EAGER_TURNS) {
      const h = setTimeout(() => runPump(fn), 0);
      pumps.set(fn, { kind: 'timeout', h });
      // callers only keep it to pass to clearImmediate, which Dawn never does
      return h as unknown as NodeJS.Immediate;
    }
    const h = realSetImmediate(() => runPump(fn));
    pumps.set(fn, { kind: 'immediate', h });
    return h;
  };
  Object.assign(wrapped, realSetImmediate); // keeps setImmediate[util.promisify.custom]
  globalThis.setImmediate = wrapped as typeof globalThis.setImmediate;
}

const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Turn Dawn's pump until `done()` (or `timeoutMs` passes). Throws when there is no pump to turn,
 * i.e. the binding no longer schedules its work through setImmediate.
 */
export function pumpUntil(done: () => boolean, what: string, timeoutMs = 120_000): void {
  const t0 = Date.now();
  for (let turn = 1; !done(); turn++) {
    const queued = [...pumps];
    if (queued.length === 0) {
      throw new Error(`${what}: Dawn's event pump was not found (was lib/backend/webgpu.ts bypassed, or did the \`webgpu\` package change?); use \`await tensor.data()\` instead`);
    }
    for (const [fn, handle] of queued) {
      if (handle.kind === 'immediate') clearImmediate(handle.h);
      else clearTimeout(handle.h);
      runPump(fn);
    }
    if (done()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: the GPU did not answer within ${timeoutMs / 1000} s`);
    // nap 20 µs, 40 µs, … up to 1 ms: a busy loop here starves a software GPU's threads
    // (measured on lavapipe, 2 cores: 20 reads of a 256×256 matMul 7.5 s busy, 1.0 s napping)
    Atomics.wait(napCell, 0, 0, Math.min(1, turn * 0.02));
  }
}

/** The fields of tfjs-backend-webgpu's WebGPUBackend that the synchronous read uses. */
interface WebGPUBackendLike {
  tensorMap: { get(dataId: object): TensorData };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBufferLike; releaseBuffer(b: GPUBufferLike): void };
  commandEncoder: { copyBufferToBuffer(a: GPUBufferLike, ao: number, b: GPUBufferLike, bo: number, size: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, values: tfjs.backend_util.BackendValues): tfjs.backend_util.BackendValues;
  readSync(dataId: object): tfjs.backend_util.BackendValues;
}
interface TensorData {
  values: tfjs.backend_util.BackendValues | null;
  dtype: tfjs.DataType;
  resource: GPUBufferLike;
  complexTensorInfos?: { real: { dataId: object }; imag: { dataId: object } };
}
interface GPUBufferLike {
  size: number;
  mapState: 'unmapped' | 'pending' | 'mapped';
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

/**
 * A synchronous stretch: reads with no turn of the event loop in between (a sampling loop). After
 * SUBMIT_EACH_AFTER of them, tfjs submits each kernel on its own (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
 * 1 instead of 15) until the loop turns again: each kernel's pooled uniform buffer is then free
 * again for the next, so bind groups recur and dawn-reuse.ts can reuse them (see there why that
 * matters). Asynchronous training never enters this mode.
 */
const SUBMIT_EACH_AFTER = 8;
let stretch = 0;
let restoreBatch: number | null = null;

function noteSyncRead(tf: typeof tfjs): void {
  if (stretch++ === 0) {
    setImmediate(() => {
      stretch = 0;
      if (restoreBatch !== null) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', restoreBatch);
      restoreBatch = null;
    });
  }
  if (stretch === SUBMIT_EACH_AFTER && restoreBatch === null) {
    restoreBatch = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
  }
}

/**
 * Replace WebGPUBackend.prototype.readSync (the OffscreenCanvas trick) by a staging-buffer copy
 * and a pumped mapAsync: the same steps as the backend's own async `read()`, waited for here.
 */
export function patchReadSync(tf: typeof tfjs, WebGPUBackend: { prototype: object }): void {
  const proto = WebGPUBackend.prototype as WebGPUBackendLike & { __courseSyncRead?: boolean };
  if (proto.__courseSyncRead) return;
  const { COPY_DST, MAP_READ } = (globalThis as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
  const READ = (globalThis as unknown as { GPUMapMode: Record<string, number> }).GPUMapMode.READ!;
  proto.readSync = function readSync(this: WebGPUBackendLike, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string') return data.values!;
    if (data.dtype === 'complex64') {
      const re = this.readSync(data.complexTensorInfos!.real.dataId) as Float32Array;
      const im = this.readSync(data.complexTensorInfos!.imag.dataId) as Float32Array;
      return this.convertAndCacheOnCPU(dataId, tf.backend_util.mergeRealAndImagArrays(re, im));
    }
    noteSyncRead(tf);
    const buffer = data.resource;
    const staging = this.bufferManager.acquireBuffer(buffer.size, COPY_DST! | MAP_READ!);
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    this.submitQueue();
    let failure: unknown = null;
    staging.mapAsync(READ).catch((err: unknown) => {
      failure = err;
    });
    pumpUntil(() => staging.mapState !== 'pending' || failure !== null, 'dataSync on webgpu');
    if (staging.mapState !== 'mapped') throw new Error(`dataSync on webgpu: mapping the result failed (${String(failure ?? staging.mapState)})`);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    this.bufferManager.releaseBuffer(staging);
    return this.convertAndCacheOnCPU(dataId, tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype));
  };
  proto.__courseSyncRead = true;
}
