import { describe, expect, test } from 'vitest';
import { spawnAsync } from '../support/spawn-async.js';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../lib/exercises.js';

async function course(...args: string[]) {
  const r = await spawnAsync(process.execPath, [path.join(ROOT, 'bin', 'course.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, COURSE_QUIET_BACKEND: '1' },
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('course CLI', () => {
  test('unknown command, exercise or flag → exit 2 with the valid choices', async () => {
    const cmd = await course('bogus');
    expect(cmd.code).toBe(2);
    expect(cmd.out).toMatch(/unknown command "bogus"[\s\S]*list, doctor, train/);
    const ex = await course('train', 'no-such-exercise');
    expect(ex.code).toBe(2);
    expect(ex.out).toMatch(/unknown exercise "no-such-exercise"[\s\S]*01-ffnn-from-scratch/);
    const flag = await course('train', '01-ffnn-from-scratch', '--epoch', '3');
    expect(flag.code).toBe(2);
    expect(flag.out).toMatch(/unknown flag --epoch[\s\S]*--epochs/);
    expect(flag.out).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('list names every exercise; a hint that does not exist is a clear error', async () => {
    const list = await course('list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/01-ffnn-from-scratch/);
    // the hint command itself is tested in test/lib/hints.test.ts
    const bad = await course('hint', '03-char-rnn', '1', '99');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/hint level "99" does not exist/);
  });

  test('plot re-draws curves from a metrics file; a bad file gets a clear error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-plot-'));
    const file = path.join(dir, 'metrics.json');
    writeFileSync(file, JSON.stringify({ history: { loss: [1, 0.5, 0.3], acc: [0.3, 0.6, 0.8] } }));
    const ok = await course('plot', file, '--out', dir);
    expect(ok.code).toBe(0);
    expect(existsSync(path.join(dir, 'history-loss.png'))).toBe(true);
    expect(existsSync(path.join(dir, 'history-accuracy.png'))).toBe(true);
    // a run with a step log is drawn per step: one chart per value and its validation twin
    const stepDir = path.join(dir, 'steps');
    const curve = { steps: { loss: [2, 1.5, 1.2, 1, 0.9, 0.8] }, epochSteps: [3, 3], epochs: { val_loss: [1.4, 1.0] } };
    writeFileSync(file, JSON.stringify({ history: { loss: [1.3, 0.9] }, stepLog: { version: 1, curves: { mlp: curve } } }));
    const steps = await course('plot', file, '--out', stepDir);
    expect(steps.code).toBe(0);
    expect(steps.out).toMatch(/mlp-loss\.png/);
    expect(existsSync(path.join(stepDir, 'mlp-loss.png'))).toBe(true);
    expect(existsSync(path.join(stepDir, 'history-loss.png'))).toBe(false);
    writeFileSync(file, '{not json');
    const bad = await course('plot', file);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/is not valid JSON/);
  });

  test('doctor reports the backend and the data files', async () => {
    const d = await course('doctor');
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/backend\s+(node|gpu|wasm|cpu)/);
    expect(d.out).toMatch(/data ok\s+data\/iris.csv/);
  });
});
