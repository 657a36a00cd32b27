/**
 * What `course doctor` checks about the platform under the backends: the Node version (and
 * whether this course is tested on it), the N-API level the native binding is built for, and
 * the CPU features libtensorflow needs.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Node majors CI runs (.ci/run): 20 is the CI machine's own (end of life April 2026). */
export const TESTED_NODE_MAJORS = [20, 22, 24, 26] as const;
export const END_OF_LIFE_MAJORS = [20] as const;
/** tfjs-node 4.22's binding is N-API (napi_versions 3–8 in its package.json): one build serves every Node. */
export const NAPI_NEEDED = 8;

export interface NodeVersionCheck {
  version: string;
  major: number;
  napi: number | null;
  tested: boolean;
  line: string;
  /** null when nothing to do */
  fix: string | null;
}

export function checkNodeVersion(version = process.version, napi = process.versions.napi): NodeVersionCheck {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? NaN);
  const napiLevel = napi === undefined ? null : Number(napi);
  const tested = (TESTED_NODE_MAJORS as readonly number[]).includes(major);
  const eol = (END_OF_LIFE_MAJORS as readonly number[]).includes(major);
  const list = TESTED_NODE_MAJORS.filter((m) => !(END_OF_LIFE_MAJORS as readonly number[]).includes(m)).join(', ');
  let fix: string | null = null;
  if (!tested) fix = `Node ${major} is not a version this course is tested on: install Node ${list.replace(/, (\d+)$/, ' or $1')} (e.g. from nodejs.org or \`nvm install 24\`)`;
  else if (eol) fix = `Node ${major} is past its end of life (April 2026); it still works here, but install Node 24 (LTS) when you can`;
  if (napiLevel !== null && napiLevel < NAPI_NEEDED) fix = `Node ${version} offers N-API ${napiLevel}, the native backend needs ${NAPI_NEEDED}: install Node ${list}`;
  const line = `${version} (major ${major}: ${tested ? (eol ? 'tested, end of life' : 'tested') : `NOT tested; tested: ${TESTED_NODE_MAJORS.join(', ')}`}), N-API ${napiLevel ?? '?'}`;
  return { version, major, napi: napiLevel, tested, line, fix };
}

export interface CpuCheck {
  /** null where the flags can't be read (not Linux) */
  avx: boolean | null;
  avx2: boolean | null;
  fma: boolean | null;
  line: string;
  fix: string | null;
}

/** The CPU flags libtensorflow cares about, from /proc/cpuinfo's text. */
export function checkCpuFlags(cpuinfo: string | null = readCpuinfo()): CpuCheck {
  if (cpuinfo === null) return { avx: null, avx2: null, fma: null, line: `unknown (no /proc/cpuinfo on ${os.platform()}-${os.arch()})`, fix: null };
  const flagsLine = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!flagsLine) return { avx: null, avx2: null, fma: null, line: 'unknown (no flags line in /proc/cpuinfo)', fix: null };
  const flags = new Set(flagsLine.split(':')[1]!.trim().split(/\s+/));
  const arm = /^Features/.test(flagsLine);
  if (arm) return { avx: null, avx2: null, fma: null, line: `${os.arch()} CPU (AVX does not apply)`, fix: null };
  const avx = flags.has('avx');
  const avx2 = flags.has('avx2');
  const fma = flags.has('fma');
  const line = ['avx', 'avx2', 'fma', 'avx512f'].map((f) => `${f} ${flags.has(f) ? 'yes' : 'no'}`).join(', ');
  const fix = avx ? null : 'this CPU has no AVX: libtensorflow (the native backend) is built for AVX and cannot run here; the course uses the wasm backend (slower). COURSE_SKIP_NATIVE=1 npm install skips trying';
  return { avx, avx2, fma, line, fix };
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}
