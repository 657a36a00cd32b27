/**
 * Backend selection. `await initBackend()` picks the fastest backend that loads and prints one
 * line saying which one runs and why the faster ones were skipped.
 *
 * Order: TFJS_BACKEND (gpu|webgpu|node|wasm|cpu) if set, else tfjs-node-gpu → webgpu (a hardware
 * adapter, where it measured faster than node for this job: webgpu-choice.ts) → tfjs-node →
 * wasm → cpu. A native or GPU backend counts only when it passes the training probe (probe.cjs),
 * the same verdict the install check and `course doctor` use; otherwise the chain falls through
 * with the reason.
 * The JS fallbacks get extra kernels (lib/backend/kernels) so conv nets and embeddings can be
 * trained on them at a usable speed.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { CourseError } from '../errors.js';
import { registerFallbackKernels } from './kernels/index.js';
import { diagnoseCuda } from './cuda.js';
import { registerNativeGradients } from './native-grads.js';
import { applyNodeCompat, describeNodeCompat, type NodeCompatState } from './node-compat.cjs';
import { probeBackend } from './probe.cjs';
import { activateWebgpu, adapterKey, currentAdapter, findAdapter } from './webgpu.js';
import { readVerdict, webgpuFaster } from './webgpu-choice.js';

// Before anything can load tfjs-node: add the `util` helpers Node 23+ removed (node-compat.cjs).
const nodeCompat: NodeCompatState = applyNodeCompat();

/** What the Node compatibility shim did in this process (for `course doctor`). */
export function nodeCompatState(): { state: NodeCompatState; line: string } {
  return { state: nodeCompat, line: describeNodeCompat(nodeCompat) };
}

export type BackendChoice = 'gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['gpu', 'webgpu', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  /** what the user would call it */
  choice: BackendChoice;
  /** tf.getBackend(): 'tensorflow' for node/gpu, else 'webgpu' | 'wasm' | 'cpu' */
  tfBackend: string;
  /** faster backends that were not used, with the reason */
  skipped: { choice: BackendChoice; reason: string }[];
  /** the one-line report printed by initBackend */
  line: string;
}

const require = createRequire(import.meta.url);
let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

export function backendInfo(): BackendInfo | null {
  return current;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}

function isMissingModule(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') &&
    String(e.message).includes(name)
  );
}

/** Try to load a native binding package; resolves to null on success or a reason string. */
async function tryNative(pkg: string): Promise<string | null> {
  try {
    require.resolve(pkg);
  } catch {
    return 'not installed';
  }
  // libtensorflow's C++ info logs (oneDNN, cpu_feature_guard) are noise for students
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // oneDNN kernels: on by default (libtensorflow 2.9 turns them on only for some Intel CPUs).
  // Measured here (bench node-onednn vs node-noonednn): CPU time per step 1.1–2.3× lower for the
  // conv cases, eager and compiled; RNN/MLP steps unchanged. Off switch: TF_ENABLE_ONEDNN_OPTS=0.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  try {
    // tfjs-node registers the 'tensorflow' backend on the shared tfjs-core engine.
    await import(pkg);
  } catch (err) {
    if (isMissingModule(err, pkg)) return 'not installed';
    return `failed to load: ${firstLine(err)} (run \`npm run provision-native\`)`;
  }
  if (!tf.findBackend('tensorflow') && !tf.engine().registryFactory['tensorflow']) {
    return 'loaded but did not register the tensorflow backend (two copies of @tensorflow/tfjs-core?)';
  }
  return null;
}

async function activate(name: string): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    return null;
  } catch (err) {
    return `failed to initialise: ${firstLine(err)}`;
  }
}

/**
 * The native backend is accepted only after the shared training probe (probe.cjs) passes on it:
 * tfjs-node can load and multiply matrices yet fail in the first model.fit (Node 23+ without
 * the shim). Runs once per process, in-process, ~0.1 s. webgpu likewise (~0.5 s on an idle
 * lavapipe, most of it compiling shaders).
 */
async function activateNative(): Promise<string | null> {
  return probeActive(await activate('tensorflow'));
}

async function probeActive(why: string | null): Promise<string | null> {
  if (why) return why;
  try {
    await probeBackend(tf);
    return null;
  } catch (err) {
    return `loads but fails the training probe (${firstLine(err)})`;
  }
}

/** Auto mode: webgpu only where `npm run setup:webgpu` measured it faster for this job. */
async function webgpuWanted(job: string | undefined): Promise<string | null> {
  const verdict = readVerdict();
  const speed = webgpuFaster(verdict, job);
  if (!speed.faster) return verdict ? `not faster than ${verdict.against} here (${speed.why})` : speed.why;
  const found = await findAdapter();
  if ('reason' in found) return found.reason;
  if (adapterKey(found.adapter) !== verdict!.adapter) return `measured on another adapter (${verdict!.adapterLine}): \`npm run setup:webgpu -- --measure\``;
  return null;
}

async function tryChoice(choice: BackendChoice, forced: boolean, job: string | undefined): Promise<string | null> {
  switch (choice) {
    case 'gpu': {
      const cuda = diagnoseCuda();
      if (!cuda.ok) return cuda.reason;
      const why = await tryNative('@tensorflow/tfjs-node-gpu');
      return why ?? activateNative();
    }
    case 'webgpu': {
      const unwanted = forced ? null : await webgpuWanted(job);
      return unwanted ?? probeActive(await activateWebgpu(forced));
    }
    case 'node': {
      const why = await tryNative('@tensorflow/tfjs-node');
      return why ?? activateNative();
    }
    case 'wasm': {
      try {
        await import('@tensorflow/tfjs-backend-wasm');
      } catch (err) {
        return `failed to load: ${firstLine(err)}`;
      }
      return activate('wasm');
    }
    case 'cpu':
      return activate('cpu');
  }
}

function parseChoice(value: string): BackendChoice {
  const v = value.trim().toLowerCase();
  const alias: Record<string, BackendChoice> = { tensorflow: 'node', 'tfjs-node': 'node', cuda: 'gpu', dawn: 'webgpu' };
  const c = (alias[v] ?? v) as BackendChoice;
  if (!BACKEND_CHOICES.includes(c)) {
    throw new CourseError(
      `TFJS_BACKEND=${value} is not a backend this course knows`,
      `set TFJS_BACKEND to one of ${BACKEND_CHOICES.join(', ')} or unset it to pick automatically`,
    );
  }
  return c;
}

export interface InitOptions {
  /** force a backend (overrides TFJS_BACKEND) */
  backend?: BackendChoice;
  /** don't print the report line */
  quiet?: boolean;
  /** the exercise this process trains or grades (e.g. '04-dcgan'): webgpu's speed verdict is per exercise */
  job?: string;
}

/**
 * Choose, initialise and report the backend. Safe to call many times: later calls return the
 * first result. Throws a CourseError only when a backend was forced and can't be used.
 */
export function initBackend(opts: InitOptions = {}): Promise<BackendInfo> {
  if (current) return Promise.resolve(current);
  pending ??= doInit(opts).finally(() => {
    pending = null;
  });
  return pending;
}

async function doInit(opts: InitOptions): Promise<BackendInfo> {
  // Suppress the cpu backend's "install the node backend" banner; we print our own line.
  tf.enableProdMode();
  const env = process.env.TFJS_BACKEND;
  const forced = opts.backend ?? (env ? parseChoice(env) : undefined);
  const order: BackendChoice[] = forced ? [forced] : ['gpu', 'webgpu', 'node', 'wasm', 'cpu'];
  const skipped: BackendInfo['skipped'] = [];
  for (const choice of order) {
    // Without a forced choice, only try the GPU package when it is installed at all.
    const why = await tryChoice(choice, forced !== undefined, opts.job);
    if (why === null) {
      registerFallbackKernels(tf.getBackend());
      if (tf.getBackend() === 'tensorflow') registerNativeGradients();
      const note = skipped.length
        ? ` (skipped: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')})`
        : forced
          ? ' (forced by TFJS_BACKEND)'
          : '';
      const gpuName = choice === 'webgpu' ? `, ${currentAdapter()?.description || currentAdapter()?.device || 'adapter'}` : '';
      const line = `[course] backend: ${choice} (tf.getBackend()=${tf.getBackend()}${gpuName}, tfjs ${tf.version.tfjs})${note}`;
      current = { choice, tfBackend: tf.getBackend(), skipped, line };
      if (!opts.quiet && !process.env.COURSE_QUIET_BACKEND) console.error(line);
      return current;
    }
    skipped.push({ choice, reason: why });
  }
  const reasons = skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ');
  throw new CourseError(
    `the requested backend could not be started (${reasons})`,
    forced === 'gpu'
      ? 'install CUDA 11.2 + cuDNN 8.1 and `npm install @tensorflow/tfjs-node-gpu`, or unset TFJS_BACKEND (see `course doctor`)'
      : forced === 'webgpu'
        ? 'run `npm run setup:webgpu` (it installs what it can and says what is missing: README "GPU"), or unset TFJS_BACKEND'
      : forced === 'node' && reasons.includes('training probe')
        ? 'run `course doctor` (it names the cause and its fix), or unset TFJS_BACKEND to use the wasm fallback'
        : forced === 'node'
        ? 'run `npm run provision-native` (see README "Backends"), or unset TFJS_BACKEND to use the wasm fallback'
        : 'unset TFJS_BACKEND to choose automatically; run `course doctor` for details',
  );
}
