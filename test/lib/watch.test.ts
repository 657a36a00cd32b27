/**
 * `course watch` driven through a real terminal (tmux): it starts on a copy of the 01 stubs,
 * shows task 1 failing with its hint command, then a save that pastes the reference
 * trainPerceptron in moves task 1 to full points and the loop on to task 2; Ctrl-C exits cleanly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { isSourceChange } from '../../lib/cli/watch.js';
import { ROOT } from '../../lib/exercises.js';
import { exerciseSpecs } from '../../lib/grader/grade.js';

const EX = '01-ffnn-from-scratch';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** The text of `fn` (an exported function) in `src`, from its line to its closing brace. */
function functionText(src: string, fn: string): [number, number] {
  const start = src.indexOf(`export function ${fn}(`);
  if (start < 0) throw new Error(`no export function ${fn}`);
  return [start, src.indexOf('\n}\n', start) + 3];
}

describe('course watch', () => {
  test('editor scratch files are not saves', () => {
    for (const f of ['index.ts', 'sub/activations.ts', 'README.md']) expect(isSourceChange(f)).toBe(true);
    for (const f of ['.index.ts.swp', 'index.ts~', '4913', '#index.ts#', 'node_modules/x/index.js']) expect(isSourceChange(f)).toBe(false);
  });

  test.skipIf(!hasTmux)('in a terminal: a saved fix moves the progress on; Ctrl-C exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-'));
    fs.cpSync(path.join(ROOT, 'exercises', EX), path.join(dir, EX), { recursive: true });
    const stub = path.join(dir, EX, 'index.ts');
    const task1 = exerciseSpecs(EX, path.join(ROOT, 'test')).specs.filter((s) => s.task === 1).reduce((n, s) => n + s.points, 0);
    const socket = `watch-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'w', '-S', '-60');
    const waitFor = async (re: RegExp, what: string, ms = 120_000) => {
      const t0 = Date.now();
      for (;;) {
        const s = screen();
        if (re.test(s)) return s;
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const cmd = `${process.execPath} ${path.join(ROOT, 'bin', 'course.mjs')} watch ${EX} --target ${dir} --debounce 100; echo "EXIT CODE $?"; sleep 60`;
    tmux('new-session', '-d', '-s', 'w', '-x', '150', '-y', '50', '-c', ROOT, cmd);
    try {
      const before = await waitFor(/task 1 checked in/, 'the first check');
      expect(before).toMatch(new RegExp(`task 1\\s+0/${task1}\\s+\\d+ of \\d+ test\\(s\\) failing\\s+← working on this`));
      expect(before).toMatch(/First failing test \(task 1\)[\s\S]*not implemented: trainPerceptron/);
      expect(before).toContain(`course hint ${EX} 1`);

      // the save: paste the reference trainPerceptron over the stub's
      const sol = fs.readFileSync(path.join(ROOT, 'solutions', EX, 'index.ts'), 'utf8');
      const src = fs.readFileSync(stub, 'utf8');
      const [a, b] = functionText(sol, 'trainPerceptron');
      const [c, d] = functionText(src, 'trainPerceptron');
      fs.writeFileSync(stub, src.slice(0, c) + sol.slice(a, b) + src.slice(d));

      const after = await waitFor(/task 2 checked in/, 'task 2 to be checked after the save');
      expect(after).toMatch(new RegExp(`task 1\\s+${task1}/${task1}\\s+done`));
      expect(after).toMatch(new RegExp(`points so far: ${task1}/`));
      expect(after).toMatch(/First failing test \(task 2\)[\s\S]*not implemented: countParameters/);
      expect(after).toContain(`course hint ${EX} 2`);

      tmux('send-keys', '-t', 'w', 'C-c');
      const end = await waitFor(/EXIT CODE \d+/, 'the exit', 30_000);
      expect(end).toMatch(/stopped watching\.[\s\S]*EXIT CODE 0/);
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
