/**
 * The contract sentences of an exercise stub, and the committed mapping from each sentence to the
 * graded tests that fail when a submission breaks it (`test/contracts/NN-name.json`; checked by
 * test/lib/contract-sentences.test.ts, issue 22 item 3).
 *
 * Extraction rule (kept simple so a new stub needs no configuration):
 *   - a TODO block starts at a comment line with `TODO:` or `TODO (…):` (a `//` line or a line
 *     of a `/** … *\/` block) and runs over the following lines of the same comment: `//` lines
 *     for a `//` block; ` *` lines up to an empty ` *` line or the closing `*\/` for a doc block;
 *   - inside a block, a line whose text starts with `- `, `• ` or `1. ` starts a new item (the
 *     bullets and numbered steps of the stubs); after a list item, a line indented no deeper than
 *     its marker starts a new paragraph; other lines continue the current item;
 *   - each item is split into sentences after `.`, `!` or `?` (or `.)`) followed by a space and a
 *     capital letter or `(` (not after `e.g.`, `i.e.`, `cf.`, `vs.`, `etc.`);
 *   - a sentence is compared with whitespace collapsed, bullet markers and the `TODO (…):`
 *     prefix removed.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One contract sentence and where it sits (file relative to the repository root, 1-based line). */
export interface ContractSentence {
  text: string;
  file: string;
  line: number;
}

/** How one sentence is covered: the rubric test names that fail when it is broken, or why it states no contract. */
export interface ContractEntry {
  sentence: string;
  tests?: string[];
  /** Only for a sentence that states nothing a submission could break (a heading, the reason for a rule). */
  notContract?: string;
  /** What of the sentence no graded test checks yet (counted against the exercise's ceiling in the self-test). */
  gap?: string;
}

export interface ContractMap {
  exercise: string;
  entries: ContractEntry[];
}

const TODO_START = /\bTODO\s*(\([^)]*\))?\s*:/;
const ITEM_START = /^(-|•|\d+\.)\s+/;
const ABBREVIATIONS = /(?:\be\.g|\bi\.e|\bcf|\bvs|\betc)\.$/;

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Split one item into sentences (see the rule above). */
export function splitSentences(item: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /([.!?]\)?)\s+(?=[A-Z(])/g;
  for (let m = re.exec(item); m; m = re.exec(item)) {
    const upToStop = item.slice(start, m.index + m[1]!.length);
    if (ABBREVIATIONS.test(upToStop)) continue;
    out.push(collapse(upToStop));
    start = m.index + m[0].length;
  }
  out.push(collapse(item.slice(start)));
  return out.filter((s) => s !== '');
}

interface Line {
  text: string;
  line: number;
}

/** The TODO blocks of one source text: each a list of lines with the comment markers removed. */
function todoBlocks(source: string): Line[][] {
  const lines = source.split('\n');
  const blocks: Line[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const slash = /^\s*\/\/\s?(.*)$/.exec(l);
    const star = /^\s*\*(?!\/)\s?(.*)$/.exec(l);
    const first = slash ?? star;
    if (!first || !TODO_START.test(first[1]!)) continue;
    const block: Line[] = [{ text: first[1]!.replace(/^.*?\bTODO\s*(\([^)]*\))?\s*:\s*/, ''), line: i + 1 }];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const next = slash ? /^\s*\/\/\s?(.*)$/.exec(lines[j]!) : /^\s*\*(?!\/)\s?(.*)$/.exec(lines[j]!);
      if (!next || (star && next[1]!.trim() === '')) break;
      block.push({ text: next[1]!, line: j + 1 });
    }
    blocks.push(block);
    i = j - 1;
  }
  return blocks;
}

/** The contract sentences of one source file, in order. */
export function contractSentences(source: string, file: string): ContractSentence[] {
  const out: ContractSentence[] = [];
  for (const block of todoBlocks(source)) {
    // markerIndent: the indentation of a list item's marker; −1 for a paragraph.
    const items: (Line & { markerIndent: number })[] = [];
    for (const l of block) {
      const t = l.text.trim();
      const indent = l.text.length - l.text.trimStart().length;
      const current = items[items.length - 1];
      if (ITEM_START.test(t)) items.push({ text: t.replace(ITEM_START, ''), line: l.line, markerIndent: indent });
      else if (!current || (current.markerIndent >= 0 && indent <= current.markerIndent)) items.push({ text: t, line: l.line, markerIndent: -1 });
      else current.text += ` ${t}`;
    }
    for (const item of items) {
      for (const text of splitSentences(item.text)) out.push({ text, file, line: item.line });
    }
  }
  return out;
}

/** Every TypeScript file of the stub folder exercises/<id>/ (sorted), relative to `root`. */
export function stubFiles(root: string, exercise: string): string[] {
  const dir = path.join(root, 'exercises', exercise);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join('exercises', exercise, f));
}

/** The contract sentences of exercise `id`'s stub, over all its files. */
export function exerciseSentences(root: string, exercise: string): ContractSentence[] {
  return stubFiles(root, exercise).flatMap((f) => contractSentences(fs.readFileSync(path.join(root, f), 'utf8'), f));
}

export function contractMapPath(root: string, exercise: string): string {
  return path.join(root, 'test', 'contracts', `${exercise}.json`);
}
