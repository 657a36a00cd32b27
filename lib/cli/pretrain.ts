/**
 * `course pretrain [job] [--seed N] [--epochs N] [--out DIR]`: re-create a committed
 * pretrained model (lib/pretrain/<job>.ts exports `pretrainJob`).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '../backend/index.js';
import { CourseError } from '../errors.js';
import { ROOT } from '../exercises.js';
import { seedEverything } from '../random.js';

export interface PretrainJob {
  name: string;
  description: string;
  run(opts: { seed: number; epochs?: number; out?: string }): Promise<void>;
}

export async function pretrainJobs(): Promise<PretrainJob[]> {
  const dir = path.join(ROOT, 'lib', 'pretrain');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const jobs: PretrainJob[] = [];
  for (const f of files.sort()) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { pretrainJob?: PretrainJob };
    if (mod.pretrainJob) jobs.push(mod.pretrainJob);
  }
  return jobs;
}

export async function pretrainCommand(name: string | undefined, flags: { seed?: number; epochs?: number; out?: string }): Promise<number> {
  const jobs = await pretrainJobs();
  if (!name) {
    console.log('Pretraining jobs (course pretrain <name>):');
    for (const j of jobs) console.log(`  ${j.name.padEnd(18)} ${j.description}`);
    return 0;
  }
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new CourseError(`unknown pretraining job "${name}"`, `use one of: ${jobs.map((j) => j.name).join(', ')}`);
  await initBackend();
  const seed = flags.seed ?? 1;
  seedEverything(seed);
  await job.run({ seed, epochs: flags.epochs, out: flags.out });
  return 0;
}
