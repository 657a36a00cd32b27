/**
 * A grader that is stopped leaves nothing behind (issue 21 "Leftovers"): ended by a signal, it
 * kills its sandbox's processes and removes its stage and runtime copy itself; killed outright
 * (SIGKILL runs no code), the next grader removes what is named by a pid that is gone.
 * lib/process-leftovers.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStale } from '../../lib/process-leftovers.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';

const DEAD_PID = 4194303; // 2^22 − 1: above Linux's default pid_max, never a live process
let tmp = '';
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tmpDir(): string {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leftovers-'));
  fs.chmodSync(tmp, 0o1777);
  return tmp;
}

/** Runs `code` (ESM, tsx) in a child; SIGTERM once it prints "ready"; resolves with how it ended. */
function terminateWhenReady(code: string): Promise<{ signal: NodeJS.Signals | null; status: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('exit', (status, signal) => resolve({ status, signal, out })));
}

const LEFTOVERS = path.join(PROJECT_ROOT, 'lib/process-leftovers.ts');

describe('grader leftovers', () => {
  it('removeStale removes <prefix><pid> of pids that are gone, and nothing else', () => {
    const dir = tmpDir();
    for (const name of [`course-grader-${DEAD_PID}`, `course-grader-${process.pid}`, 'course-grader-1', 'course-grader-uids', 'course-grader-runtime-12']) fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, `course-grader-${DEAD_PID}`, 'f'), 'x');
    expect(removeStale('course-grader-', dir)).toEqual([`course-grader-${DEAD_PID}`]);
    expect(fs.readdirSync(dir).sort()).toEqual([`course-grader-${process.pid}`, 'course-grader-1', 'course-grader-runtime-12', 'course-grader-uids'].sort());
  });

  it('SIGTERM runs the clean-ups, then ends the process as SIGTERM would; a plain exit handler alone would not have run (control)', async () => {
    const dir = tmpDir();
    const marker = path.join(dir, 'cleaned');
    const plain = path.join(dir, 'plain-exit-handler');
    const code = `import fs from 'node:fs'; const m = await import(${JSON.stringify(LEFTOVERS)});
      process.once('exit', () => fs.writeFileSync(${JSON.stringify(plain)}, 'x'));
      m.cleanUpOnExit(() => fs.writeFileSync(${JSON.stringify(marker)}, 'x'));
      setInterval(() => {}, 1000); console.log('ready');`;
    const r = await terminateWhenReady(code);
    expect(r.signal).toBe('SIGTERM');
    expect(fs.existsSync(marker)).toBe(true);
    // re-raised as a signal, the process does not exit normally: 'exit' handlers never run
    expect(fs.existsSync(plain)).toBe(false);
  }, 60_000);

  it('a process with its own SIGTERM handler keeps it: the clean-ups run, the handler decides', async () => {
    const dir = tmpDir();
    const marker = path.join(dir, 'cleaned');
    const code = `import fs from 'node:fs'; const m = await import(${JSON.stringify(LEFTOVERS)});
      m.cleanUpOnExit(() => fs.writeFileSync(${JSON.stringify(marker)}, 'x'));
      process.on('SIGTERM', () => { console.log('own handler'); setTimeout(() => process.exit(7), 50); });
      setInterval(() => {}, 1000); console.log('ready');`;
    const r = await terminateWhenReady(code);
    expect(r.status).toBe(7);
    expect(r.out).toContain('own handler');
    expect(fs.existsSync(marker)).toBe(true);
  }, 60_000);

  it("a warm checker's folder goes with its process on SIGTERM; one of a process that is gone is swept", async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, `course-warm-${DEAD_PID}`));
    const warm = path.join(PROJECT_ROOT, 'lib/cli/warm.ts');
    const code = [
      "import fs from 'node:fs';",
      `const { WarmChecker } = await import(${JSON.stringify(warm)});`,
      `new WarmChecker({ exercise: '01-ffnn-from-scratch', target: ${JSON.stringify(path.join(PROJECT_ROOT, 'solutions'))} });`,
      `console.log(fs.readdirSync(${JSON.stringify(dir)}).join(' '));`,
      "setInterval(() => {}, 1000); console.log('ready');",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) child.kill('SIGTERM');
    });
    const signal = await new Promise((resolve) => child.on('exit', (_c, s) => resolve(s)));
    expect(signal).toBe('SIGTERM');
    // while it ran: its own folder, the dead one's gone
    expect(out).toContain(`course-warm-${child.pid}`);
    expect(out).not.toContain(`course-warm-${DEAD_PID}`);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('course-warm-'))).toEqual([]);
  }, 60_000);

  it('a grade stopped with SIGTERM in its test phase leaves no stage, runtime copy or sandbox process', async () => {
    const dir = tmpDir();
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/course.mjs'), 'grade', '--only', '03', '--target', 'solutions', '--out', path.join(dir, 'out')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TMPDIR: dir },
      stdio: 'ignore',
    });
    const pid = child.pid!;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    const stage = path.join(dir, `course-grader-${pid}`);
    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(stage) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(fs.existsSync(stage), 'the grade never staged 03').toBe(true);
    await new Promise((r) => setTimeout(r, 4000)); // vitest and its worker are up by now
    const uidsOf = uidBlockProcesses(dir, pid);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(`-${pid}`))).toEqual([]);
    expect(uidsOf()).toEqual([]);
  }, 180_000);
});

/** Processes running as the grader `pid`'s sandbox uids (root modes; its lock names its block). */
function uidBlockProcesses(dir: string, pid: number): () => string[] {
  const locks = path.join(dir, 'course-grader-uids');
  const block = fs.existsSync(locks) ? fs.readdirSync(locks).find((b) => fs.readFileSync(path.join(locks, b), 'utf8') === String(pid)) : undefined;
  if (block === undefined) return () => [];
  const lo = 210_000 + Number(block) * 64;
  return () => {
    const r = spawnSync('ps', ['-eo', 'uid=,pid=,stat=,comm='], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([uid, , stat]) => Number(uid) >= lo && Number(uid) < lo + 64 && !stat?.startsWith('Z'))
      .map((f) => f.join(' '));
  };
}
