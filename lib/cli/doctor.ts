/**
 * `course doctor`: what this machine can run and what to do about anything missing —
 * backend, tfjs version, threads, Node version / N-API / CPU flags / the Node shim, CUDA/cuDNN,
 * the native backend's install state (the same training probe initBackend uses), the WebGPU
 * adapter (vendor, device, Vulkan/Metal/D3D12) or why there is none, data files.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend, nodeCompatState } from '../backend/index.js';
import { diagnoseCuda } from '../backend/cuda.js';
import { describeAdapter, findAdapter, WEBGPU_SETUP } from '../backend/webgpu.js';
import { readVerdict, webgpuFaster } from '../backend/webgpu-choice.js';
import { checkCpuFlags, checkNodeVersion } from '../backend/platform.js';
import { DATA_DIR } from '../data/paths.js';
import { listExercises, ROOT } from '../exercises.js';
import { detectIsolation, isolationLine, strongerIsolation } from '../grader/sandbox/index.js';

const DATA_FILES = [
  'iris.csv',
  'text/sherlock-holmes.txt',
  'text/small.txt',
  'fashion-mnist/train-images-idx3-ubyte.gz',
  'fashion-mnist/train-labels-idx1-ubyte.gz',
  'fashion-mnist/t10k-images-idx3-ubyte.gz',
  'fashion-mnist/t10k-labels-idx1-ubyte.gz',
];

interface NativeStatus {
  lines: string[];
  fix?: string;
}

async function nativeStatus(): Promise<NativeStatus | null> {
  const file = path.join(ROOT, 'lib', 'backend', 'native.ts');
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { nativeStatus?: () => unknown };
  if (typeof mod.nativeStatus !== 'function') return null;
  const s = (await mod.nativeStatus()) as { summary?: string; logPath?: string; fix?: string | null };
  const lines = [s.summary, s.logPath ? `install log: ${s.logPath}` : undefined].filter((l): l is string => Boolean(l));
  return { lines, fix: s.fix ?? undefined };
}

/** The WebGPU adapter Dawn offers (or why none) and the cached speed verdict against node. */
async function webgpuRows(choice: string, row: (k: string, v: string) => void, todo: string[]): Promise<void> {
  const found = await findAdapter();
  if ('reason' in found) {
    row('webgpu adapter', `none: ${found.reason}`);
    if (process.env.TFJS_BACKEND === 'webgpu') todo.push(`WebGPU: ${found.reason}; \`${WEBGPU_SETUP}\` installs what it can.`);
    return;
  }
  row('webgpu adapter', describeAdapter(found.adapter));
  const verdict = readVerdict();
  if (found.adapter.software) row('', 'software adapter: used only when TFJS_BACKEND=webgpu forces it');
  else {
    row('webgpu vs node', webgpuFaster(verdict).why);
    if (!verdict && choice !== 'webgpu') todo.push(`WebGPU: a GPU is there; \`${WEBGPU_SETUP}\` measures whether it trains faster than ${choice} and, where it does, the course uses it.`);
  }
}

export async function doctorCommand(): Promise<number> {
  const todo: string[] = [];
  const row = (k: string, v: string) => console.log(`  ${k.padEnd(22)} ${v}`);
  console.log('course doctor\n');
  const b = await initBackend({ quiet: true });
  row('backend', `${b.choice} (tf.getBackend() = ${tf.getBackend()})`);
  for (const s of b.skipped) row(`  skipped ${s.choice}`, s.reason);
  row('tfjs', tf.version.tfjs);
  row('node', `${process.version} on ${os.platform()}-${os.arch()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const nodeCheck = checkNodeVersion();
  row('node version', nodeCheck.line);
  if (nodeCheck.fix) todo.push(`Node: ${nodeCheck.fix}.`);
  const shim = nodeCompatState();
  row('node shim', shim.line);
  if (!shim.state.enabled && shim.state.missing.length) todo.push('Node shim: unset COURSE_NODE_SHIM (=0 switches off the fix tfjs-node needs on Node 23+; see docs/NATIVE.md).');
  const cpu = checkCpuFlags();
  row('cpu flags', cpu.line);
  if (cpu.fix) todo.push(`CPU: ${cpu.fix}.`);
  if (b.choice === 'wasm') {
    row('wasm SIMD', String(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')));
    row('wasm threads', `${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')} (Node: single-threaded, one core)`);
  } else if (b.choice === 'node' || b.choice === 'gpu') {
    row('threads', 'libtensorflow uses all cores (inter/intra-op pools)');
  }
  const cuda = diagnoseCuda();
  row('nvidia-smi', cuda.nvidiaSmi ?? 'not found');
  for (const [lib, where] of Object.entries(cuda.libs)) row(lib, where ?? 'not found');
  if (cuda.nvidiaSmi && !cuda.ok) todo.push(`GPU: ${cuda.reason}. Install CUDA 11.2 + cuDNN 8.1 (README "GPU"), then \`npm install @tensorflow/tfjs-node-gpu\` and TFJS_BACKEND=gpu.`);
  await webgpuRows(b.choice, row, todo);
  const native = await nativeStatus();
  if (native) {
    for (const l of native.lines) row('native', l);
    if (b.choice !== 'node' && b.choice !== 'gpu' && native.fix) todo.push(`native backend: ${native.fix}`);
  } else if (b.choice !== 'node' && b.choice !== 'gpu') {
    todo.push('native backend: not available; `npm run provision-native` installs it (README "Backends").');
  }
  let missing = 0;
  for (const f of DATA_FILES) {
    const ok = existsSync(path.join(DATA_DIR, f));
    if (!ok) missing++;
    row(ok ? 'data ok' : 'data MISSING', `data/${f}`);
  }
  if (missing) todo.push(`${missing} data file(s) missing: \`git checkout -- data/\` (or scripts/fetch-data.sh to rebuild them).`);
  const iso = detectIsolation();
  row('grader isolation', `${iso.mode}: ${isolationLine(iso.mode)}`);
  for (const why of iso.why) row('', why);
  const stronger = strongerIsolation(iso.mode);
  if (stronger) todo.push(`grader isolation: ${stronger}`);
  const ex = listExercises();
  row('exercises', ex.map((e) => e.id).join(', ') || 'none found');
  console.log(todo.length ? `\nTo do:\n${todo.map((t) => `  - ${t}`).join('\n')}` : '\nEverything needed is present.');
  return missing ? 1 : 0;
}
