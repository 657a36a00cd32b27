/**
 * CUDA visibility for tfjs-node-gpu. The binding needs libcudart.so.11.0 and libcudnn.so.8;
 * when they are missing it silently runs on the CPU, so we check before loading it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CudaReport {
  ok: boolean;
  reason: string;
  nvidiaSmi: string | null;
  libs: Record<string, string | null>;
}

const NEEDED = ['libcudart.so.11.0', 'libcudnn.so.8'];

function findLib(name: string): string | null {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/local/cuda/lib64',
    '/usr/local/cuda-11.2/lib64',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ];
  for (const d of dirs) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  try {
    const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => l.trim().startsWith(name));
    if (line) return line.split('=>').pop()!.trim();
  } catch {
    /* ldconfig not available */
  }
  return null;
}

export function diagnoseCuda(): CudaReport {
  let nvidiaSmi: string | null = null;
  try {
    nvidiaSmi = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    nvidiaSmi = null;
  }
  const libs: Record<string, string | null> = {};
  for (const n of NEEDED) libs[n] = findLib(n);
  const missing = NEEDED.filter((n) => !libs[n]);
  if (!nvidiaSmi) return { ok: false, reason: 'no CUDA: nvidia-smi not found or no GPU visible', nvidiaSmi, libs };
  if (missing.length)
    return {
      ok: false,
      reason: `no CUDA: GPU present (${nvidiaSmi}) but ${missing.join(', ')} not found (tfjs-node-gpu needs CUDA 11.2 + cuDNN 8.1)`,
      nvidiaSmi,
      libs,
    };
  return { ok: true, reason: '', nvidiaSmi, libs };
}
