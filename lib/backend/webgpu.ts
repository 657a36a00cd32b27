/**
 * The `webgpu` backend: tfjs's WebGPU kernels (@tensorflow/tfjs-backend-webgpu) on Dawn, Chrome's
 * WebGPU, through its Node binding (npm `webgpu`: dawn.node for linux-x64/arm64, macOS, Windows).
 * Dawn drives the GPU through Vulkan (Linux), Metal (macOS) or D3D12 (Windows), so any GPU with
 * a current driver trains, not only NVIDIA + CUDA 11.2.
 *
 * A hardware adapter counts; a software one (Mesa's llvmpipe/lavapipe: Vulkan on the CPU, what
 * CI uses) is taken only when TFJS_BACKEND=webgpu forces it. Whether the automatic choice prefers
 * webgpu to node is decided by the measurement `npm run setup:webgpu` caches (webgpu-choice.ts).
 *
 * COURSE_WEBGPU_DIR names a folder holding the `webgpu` package (index.js + dist/<platform>/
 * dawn.node) to use instead of node_modules' (scripts/gpu-check.sh carries one).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installBindGroupReuse } from './dawn-reuse.js';
import { installDawnPump, patchReadSync } from './dawn-sync.js';

export const WEBGPU_PACKAGE = 'webgpu';
export const WEBGPU_SETUP = 'npm run setup:webgpu';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type GpuApi = 'Vulkan' | 'Metal' | 'D3D12';

/** The native GPU API Dawn uses on this platform (null: no dawn.node for it). */
export function platformApi(platform: NodeJS.Platform = process.platform): GpuApi | null {
  return platform === 'linux' ? 'Vulkan' : platform === 'darwin' ? 'Metal' : platform === 'win32' ? 'D3D12' : null;
}

export interface Adapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  api: GpuApi;
  /** a CPU implementation (llvmpipe, SwiftShader, WARP): used only when forced */
  software: boolean;
}

/** From a GPUAdapterInfo (its fields are getters on the prototype). */
export function adapterFromInfo(info: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & { isFallbackAdapter?: boolean }, api: GpuApi): Adapter {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const software =
    info.isFallbackAdapter === true || architecture === 'software' || /llvmpipe|lavapipe|swiftshader|microsoft basic render/i.test(`${device} ${description}`);
  return { vendor, architecture, device, description, api, software };
}

/** One line: "NVIDIA H100 80GB HBM3 (vendor nvidia, hopper) on Vulkan". */
export function describeAdapter(a: Adapter): string {
  const name = a.description || a.device || 'unnamed adapter';
  const detail = [a.vendor && `vendor ${a.vendor}`, a.architecture].filter(Boolean).join(', ');
  return `${name}${detail ? ` (${detail})` : ''} on ${a.api}${a.software ? ', a software (CPU) adapter' : ''}`;
}

/** A stable key for the cached speed verdict: the same card and driver. */
export function adapterKey(a: Adapter): string {
  return [a.api, a.vendor, a.architecture, a.device, a.description].join('|');
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{ info: Record<string, unknown> } | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** Where the `webgpu` package's index.js is, or null. */
export function locateDawn(): string | null {
  const dir = process.env.COURSE_WEBGPU_DIR;
  if (dir) return existsSync(path.join(dir, 'index.js')) ? path.join(dir, 'index.js') : null;
  try {
    return createRequire(path.join(projectRoot, 'package.json')).resolve(WEBGPU_PACKAGE);
  } catch {
    return null;
  }
}

let gpu: GpuLike | null = null;
let dawnFailure: string | null = null;

/** Load dawn.node once and put `navigator.gpu` in place; null on success, else why not. */
async function loadDawn(): Promise<string | null> {
  if (gpu) return null;
  if (dawnFailure) return dawnFailure;
  const api = platformApi();
  const entry = locateDawn();
  if (!api) dawnFailure = `no Dawn build for ${process.platform}-${process.arch}`;
  else if (!entry) dawnFailure = `the \`${WEBGPU_PACKAGE}\` package is not installed (\`${WEBGPU_SETUP}\`)`;
  else {
    try {
      installDawnPump(); // before create(): see dawn-sync.ts
      const dawn = (await import(pathToFileURL(entry).href)) as DawnModule;
      for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
      installBindGroupReuse(dawn.globals); // see dawn-reuse.ts
      gpu = dawn.create([`backend=${api.toLowerCase()}`]);
      // Node 21+ has a read-only global `navigator`: add `gpu` to it; older Node: make one
      const nav = (globalThis as { navigator?: object }).navigator;
      if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
      else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } catch (err) {
      dawnFailure = `dawn.node failed to load: ${firstLine(err)}`;
    }
  }
  return dawnFailure;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/** Why Linux has no adapter: the Vulkan loader and drivers (ICD files) that are there or missing. */
export function vulkanDiagnosis(): string {
  const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].find(existsSync);
  const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  const icds = (process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? '').split(':').filter(Boolean);
  for (const d of icdDirs) if (existsSync(d)) for (const f of readdirSync(d)) if (f.endsWith('.json')) icds.push(path.join(d, f));
  if (!loader) return 'no Vulkan loader (libvulkan.so.1): install your GPU driver with Vulkan support, or for a software GPU `apt-get install -t bookworm-backports mesa-vulkan-drivers` (Mesa ≥ 25; README "GPU")';
  if (icds.length === 0) return 'the Vulkan loader is there but no Vulkan driver (no ICD file in /usr/share/vulkan/icd.d): install your GPU vendor\'s Vulkan driver, or Mesa ≥ 25 `mesa-vulkan-drivers` for a software GPU';
  const lvp = icds.find((f) => /lvp/.test(f));
  const mesa = mesaVersion();
  if (lvp && mesa !== null && mesa < 25) return `only Mesa ${mesa}'s lavapipe, which Dawn refuses (it lacks shaderUniform*ArrayDynamicIndexing): install Mesa ≥ 25, e.g. \`apt-get install -t bookworm-backports mesa-vulkan-drivers\``;
  return `Dawn found no usable adapter among the Vulkan drivers ${icds.map((f) => path.basename(f)).join(', ')}`;
}

function mesaVersion(): number | null {
  try {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const m = /Package: mesa-vulkan-drivers\n(?:.+\n)*?Version: (?:\d+:)?(\d+)\./.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

let adapter: Adapter | null = null;

/** Ask Dawn for the high-performance adapter. */
export async function findAdapter(): Promise<{ adapter: Adapter } | { reason: string }> {
  if (adapter) return { adapter };
  const why = await loadDawn();
  if (why) return { reason: why };
  try {
    const found = await gpu!.requestAdapter({ powerPreference: 'high-performance' });
    if (!found) return { reason: `no WebGPU adapter: ${process.platform === 'linux' ? vulkanDiagnosis() : `Dawn found no ${platformApi()} device`}` };
    adapter = adapterFromInfo(found.info as Parameters<typeof adapterFromInfo>[0], platformApi()!);
    return { adapter };
  } catch (err) {
    return { reason: `requesting an adapter failed: ${firstLine(err)}` };
  }
}

/** The adapter the webgpu backend runs on, once it was chosen or looked up. */
export function currentAdapter(): Adapter | null {
  return adapter;
}

/**
 * Make `webgpu` tfjs's backend; null on success, else the reason (a software adapter counts only
 * when `forced`). The caller runs the training probe.
 */
export async function activateWebgpu(forced: boolean): Promise<string | null> {
  const found = await findAdapter();
  if ('reason' in found) return found.reason;
  if (found.adapter.software && !forced) return `only a software adapter (${describeAdapter(found.adapter)}): used only with TFJS_BACKEND=webgpu`;
  try {
    const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as { WebGPUBackend: { prototype: object } };
    // COURSE_WEBGPU_SYNC_READ=0 leaves tfjs's browser-only readSync in place (the probe must then fail: tests)
    if (process.env.COURSE_WEBGPU_SYNC_READ !== '0') patchReadSync(tf, mod.WebGPUBackend);
  } catch (err) {
    return `@tensorflow/tfjs-backend-webgpu failed to load: ${firstLine(err)}`;
  }
  try {
    if (!(await tf.setBackend('webgpu'))) return "tf.setBackend('webgpu') returned false";
    await tf.ready();
  } catch (err) {
    return `failed to initialise: ${firstLine(err)}`;
  }
  return null;
}
