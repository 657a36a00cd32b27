/**
 * Should the automatic backend choice take `webgpu` over `node`? Only where it was measured faster
 * on this machine, for the job at hand.
 *
 * `npm run setup:webgpu` (scripts/setup-webgpu.ts), on a hardware adapter, times every exercise's
 * benchmark step (bench/cases/NN-*.ts, `npm run bench`'s machinery) on webgpu and on the backend
 * the chain would otherwise pick (node, else wasm), and writes the medians here, once per
 * machine (again when the adapter changes, or with `-- --measure`). initBackend reads the file:
 * no file, another adapter, or not faster by 10 % → the chain goes on to node. Per exercise,
 * because the answer differs by model: a GPU wins on 04's convolutions long before it wins on
 * 03's small recurrent steps, where each op's dispatch costs more than its arithmetic.
 * Without a job (e.g. `course doctor`), webgpu must win on most exercises.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHOICE_FILE = path.join(projectRoot, 'node_modules', '.cache', 'tfjs-course', 'webgpu-choice.json');
/** webgpu must take at most this share of the other backend's time to count as faster */
export const FASTER_BY = 0.9;

export interface SpeedVerdict {
  /** adapterKey() of the adapter measured */
  adapter: string;
  adapterLine: string;
  /** the backend webgpu was timed against */
  against: string;
  measuredAt: string;
  /** per exercise id: median ms per training step */
  jobs: Record<string, { webgpuMs: number; otherMs: number }>;
}

export function readVerdict(file = CHOICE_FILE): SpeedVerdict | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as SpeedVerdict;
    return typeof v.adapter === 'string' && v.jobs && typeof v.jobs === 'object' ? v : null;
  } catch {
    return null;
  }
}

/** The verdict for `job` (an exercise id) or, without one, for most exercises. */
export function webgpuFaster(v: SpeedVerdict | null, job?: string): { faster: boolean; why: string } {
  if (!v) return { faster: false, why: 'not measured faster than node here (`npm run setup:webgpu` measures it)' };
  const entry = job ? v.jobs[job] : undefined;
  const pct = (e: { webgpuMs: number; otherMs: number }) => `${e.webgpuMs.toFixed(1)} vs ${e.otherMs.toFixed(1)} ms/step`;
  if (entry) {
    const faster = entry.webgpuMs <= FASTER_BY * entry.otherMs;
    return { faster, why: `${job}: ${pct(entry)} on ${v.against}, measured ${v.measuredAt.slice(0, 10)}` };
  }
  const all = Object.values(v.jobs).filter((e) => e.webgpuMs > 0 && e.otherMs > 0);
  if (all.length === 0) return { faster: false, why: 'the cached measurement has no results (`npm run setup:webgpu -- --measure`)' };
  const wins = all.filter((e) => e.webgpuMs <= FASTER_BY * e.otherMs).length;
  return { faster: wins * 2 > all.length, why: `faster than ${v.against} on ${wins} of ${all.length} exercises, measured ${v.measuredAt.slice(0, 10)}` };
}
