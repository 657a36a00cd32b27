/**
 * The filesystem side of the sandbox as root (lib/grader/sandbox/boundary.ts), piece by piece:
 * channel files are never created through a link, a sandbox uid's leftovers in the shared temp
 * folders go (whatever their names, without following links), secrets lose "others'" access.
 * The whole boundary against planted submissions: test/grader/sandbox-fs.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelFile, lockFromSandbox, removeSandboxLeftovers, sandboxFilesLeft } from '../../lib/grader/sandbox/boundary.js';
import { isSandboxUid } from '../../lib/grader/sandbox/isolation.js';

const root = process.getuid?.() === 0;
// a uid from the sandbox range that no grader claims (the last of the last block)
const UID = 210_000 + 4096 * 64 - 1;
const made: string[] = [];
afterEach(() => {
  for (const p of made.splice(0)) fs.rmSync(p, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'boundary-'));
  made.push(d);
  return d;
};

describe('the sandbox boundary (root side)', () => {
  it('creates a channel file only where none is: a planted link is refused, its target untouched', () => {
    const dir = tmp();
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'project file');
    fs.symlinkSync(victim, path.join(dir, 'progress-2.txt'));
    expect(() => createChannelFile(path.join(dir, 'progress-2.txt'), undefined)).toThrow(/EEXIST/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('project file');
    createChannelFile(path.join(dir, 'progress-1.txt'), undefined);
    expect(fs.readFileSync(path.join(dir, 'progress-1.txt'), 'utf8')).toBe('');
  });

  it.skipIf(!root)('hands a channel file to the sandbox uid by descriptor (needs root)', () => {
    const dir = tmp();
    createChannelFile(path.join(dir, 'p.txt'), UID);
    expect(fs.statSync(path.join(dir, 'p.txt')).uid).toBe(UID);
  });

  it.skipIf(!root)('removes what a sandbox uid left in /tmp and /dev/shm, any name, links not followed (needs root)', () => {
    const keep = tmp();
    const target = path.join(keep, 'root-file');
    fs.writeFileSync(target, 'root');
    const shm = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    const planted = [Buffer.from(`${os.tmpdir()}/course-boundary-\xff\xfe`, 'latin1'), Buffer.from(`${shm}/course-boundary-dir`), Buffer.from(`${os.tmpdir()}/course-boundary-link`)];
    fs.writeFileSync(planted[0]!, 'stash');
    fs.mkdirSync(planted[1]!);
    fs.writeFileSync(Buffer.concat([planted[1]!, Buffer.from('/inner')]), 'stash');
    fs.symlinkSync(target, planted[2]!);
    for (const p of planted) fs.lchownSync(p, UID, UID);
    // a world-writable folder of someone else's holds one too
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'course-boundary-shared-'));
    made.push(shared);
    fs.chmodSync(shared, 0o1777);
    fs.writeFileSync(path.join(shared, 'deeper'), 'stash');
    fs.chownSync(path.join(shared, 'deeper'), UID, UID);
    expect(sandboxFilesLeft(isSandboxUid).filter((f) => f.includes('course-boundary')).length).toBe(4);
    const removed = removeSandboxLeftovers(UID);
    expect(removed.filter((f) => f.includes('course-boundary')).length).toBe(4);
    expect(sandboxFilesLeft((u) => u === UID)).toEqual([]);
    expect(fs.readFileSync(target, 'utf8')).toBe('root');
    expect(fs.existsSync(shared)).toBe(true);
  });

  it('locks a folder from "others" and leaves owner and group their access', () => {
    const dir = tmp();
    fs.chmodSync(dir, 0o755);
    expect(lockFromSandbox([dir, path.join(dir, 'missing'), undefined])).toEqual([fs.realpathSync(dir)]);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o750);
  });
});
