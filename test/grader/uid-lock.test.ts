/**
 * Sandbox uids: every grader process claims its own block of 64 uids through a lock file, so two
 * graders whose pids collide modulo the block count never share a uid (one's sweep would kill
 * the other's processes). Each case runs sandboxUid() in a fresh process with its own TMPDIR.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';

const BLOCKS = 4096;
const BASE = 210_000;
let tmp = '';
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run sandboxUid() twice in a new process; returns its pid, the uids and the lock dir after exit. */
function claim(prepare: (locks: string) => void): { pid: number; uids: number[]; left: string[] } {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uid-lock-'));
  const locks = path.join(tmp, 'course-grader-uids');
  fs.mkdirSync(locks);
  prepare(locks);
  const code = `import('${path.join(PROJECT_ROOT, 'lib/grader/sandbox/isolation.ts')}').then((m) => console.log(JSON.stringify({ pid: process.pid, uids: [m.sandboxUid(), m.sandboxUid()] })))`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { pid: number; uids: number[] };
  return { ...out, left: fs.readdirSync(locks) };
}

describe('sandbox uid blocks', () => {
  it('a grader whose pid block is held by a live grader takes another block; its lock is removed at exit', () => {
    // every block but one is held by a live process (this test's own pid)
    const free = 1234;
    const { uids, left } = claim((locks) => {
      for (let b = 0; b < BLOCKS; b++) if (b !== free) fs.writeFileSync(path.join(locks, String(b)), String(process.pid));
    });
    expect(uids).toEqual([BASE + free * 64, BASE + free * 64 + 1]);
    expect(left).not.toContain(String(free));
    expect(left).toHaveLength(BLOCKS - 1);
  }, 60_000);

  it('a lock left by a grader that is gone is taken over', () => {
    const { uids } = claim((locks) => {
      // pid 2^22 − 1 (above Linux's default pid_max) is not a live process
      for (let b = 0; b < BLOCKS; b++) fs.writeFileSync(path.join(locks, String(b)), b === 77 ? '4194303' : String(process.pid));
    });
    expect(uids[0]).toBe(BASE + 77 * 64);
  }, 60_000);

  it('with no contention a grader gets the block of its own pid', () => {
    const { pid, uids } = claim(() => {});
    expect(uids[0]).toBe(BASE + (pid % BLOCKS) * 64);
  }, 60_000);
});
