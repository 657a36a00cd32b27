/**
 * `npm run giveaway [-- --write | --check]`: how much of the answer do the stubs give away?
 *
 * The figure per exercise is the share of the reference solution's distinct `tf.*` calls
 * (solutions/NN-name/X.ts for every X.ts that the student edits in exercises/NN-name/) that the
 * stub's comments name. A call counts as named when any comment of the exercise's stub files
 * contains, case-sensitively,
 *   - its full path `tf.layers.dense`, or the path without `tf.` when that has a dot (`layers.dense`,
 *     `train.adam`), or
 *   - its last name as code: `.matMul`, `dense(`, or
 *   - its last name as a word when that name is an identifier rather than an English word
 *     (it has a capital letter: `logSoftmax`, `variableGrads`, `oneHot`).
 * So "the mean over the batch" does not name tf.mean, but "tf.mean", ".mean" or "mean(" do.
 *
 * --write  puts the figure into the line after each exercise README's title
 * --check  exits 1 when a figure is above the target or a README's line is stale
 * The target is ≤ 15 % (issue #14).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const TARGET = 0.15;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every comment's text in a TypeScript source (line and block comments, each once). */
export function commentsOf(source: string, fileName = 'x.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const seen = new Set<number>();
  const out: string[] = [];
  const take = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      out.push(source.slice(r.pos, r.end));
    }
  };
  const visit = (node: ts.Node) => {
    take(ts.getLeadingCommentRanges(source, node.getFullStart()));
    take(ts.getTrailingCommentRanges(source, node.getEnd()));
    node.getChildren(sf).forEach(visit);
  };
  visit(sf);
  return out;
}

/** Dotted path of a property chain rooted at the identifier `tf` (`tf.layers.dense` → 'layers.dense'). */
function tfPath(expr: ts.Expression): string | undefined {
  const parts: string[] = [];
  let e: ts.Expression = expr;
  while (ts.isPropertyAccessExpression(e)) {
    parts.unshift(e.name.text);
    e = e.expression;
  }
  return ts.isIdentifier(e) && e.text === 'tf' && parts.length > 0 ? parts.join('.') : undefined;
}

/** The distinct tf.* functions a source calls, as paths without `tf.` ('tidy', 'layers.dense'). */
export function tfCallsOf(source: string, fileName = 'x.ts'): Set<string> {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const calls = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const p = tfPath(node.expression);
      if (p) calls.add(p);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return calls;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does this comment text name the tf call `p` (a path without `tf.`)? See the header for the rule. */
export function names(text: string, p: string): boolean {
  const last = p.split('.').at(-1)!;
  const word = (w: string) => new RegExp(`(?<![\\w$])${esc(w)}(?![\\w$])`).test(text);
  if (word(`tf.${p}`)) return true;
  if (p.includes('.') && word(p)) return true;
  if (new RegExp(`\\.${esc(last)}(?![\\w$])`).test(text)) return true;
  if (new RegExp(`(?<![\\w$])${esc(last)}\\s*\\(`).test(text)) return true;
  return /[A-Z]/.test(last) && word(last);
}

export interface Giveaway {
  exercise: string;
  /** the solution's distinct tf.* calls in the graded files */
  calls: string[];
  /** those the stub's comments name */
  named: string[];
  share: number;
}

/** Give-away of one exercise from its stub sources and its solution sources. */
export function measure(exercise: string, stubSources: string[], solutionSources: string[]): Giveaway {
  const calls = new Set<string>();
  for (const s of solutionSources) for (const c of tfCallsOf(s)) calls.add(c);
  const text = stubSources.flatMap((s) => commentsOf(s)).join('\n');
  const sorted = [...calls].sort();
  const named = sorted.filter((c) => names(text, c));
  return { exercise, calls: sorted, named, share: sorted.length ? named.length / sorted.length : 0 };
}

/** The exercise's stub files that have a solution counterpart (the graded files). */
export function gradedFiles(exercise: string, root = ROOT): string[] {
  const dir = path.join(root, 'exercises', exercise);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && existsSync(path.join(root, 'solutions', exercise, f)))
    .sort();
}

export function measureExercise(exercise: string, root = ROOT): Giveaway {
  const files = gradedFiles(exercise, root);
  const read = (kind: string, f: string) => readFileSync(path.join(root, kind, exercise, f), 'utf8');
  return measure(exercise, files.map((f) => read('exercises', f)), files.map((f) => read('solutions', f)));
}

export function exerciseIds(root = ROOT): string[] {
  return readdirSync(path.join(root, 'exercises')).filter((d) => /^\d\d-/.test(d) && existsSync(path.join(root, 'solutions', d))).sort();
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
export const README_MARK = '> **Give-away figure**';

/** The line under each README title. */
export function readmeLine(g: Giveaway): string {
  return `${README_MARK}: the stub's comments name ${g.named.length} of the ${g.calls.length} distinct \`tf.*\` calls of the reference solution (${pct(g.share)}; target ≤ ${pct(TARGET)}, measured by \`npm run giveaway\`). The how is in the hints: \`course hint ${g.exercise}\`.`;
}

/** README text with the figure line placed (or replaced) right after the `# title` line. */
export function withReadmeLine(readme: string, line: string): string {
  const lines = readme.split('\n');
  const at = lines.findIndex((l) => l.startsWith(README_MARK));
  if (at >= 0) {
    lines[at] = line;
    return lines.join('\n');
  }
  const title = lines.findIndex((l) => /^# /.test(l));
  lines.splice(title + 1, 0, '', line);
  return lines.join('\n');
}

function main(argv: string[]): number {
  const write = argv.includes('--write');
  const check = argv.includes('--check');
  let bad = 0;
  for (const id of exerciseIds()) {
    const g = measureExercise(id);
    const over = g.share > TARGET;
    console.log(`${id.padEnd(24)} ${String(g.named.length).padStart(2)}/${String(g.calls.length).padEnd(3)} ${pct(g.share).padStart(5)}${over ? '  OVER TARGET' : ''}  ${g.named.map((n) => `tf.${n}`).join(', ')}`);
    const readmePath = path.join(ROOT, 'exercises', id, 'README.md');
    const readme = readFileSync(readmePath, 'utf8');
    const next = withReadmeLine(readme, readmeLine(g));
    if (write && next !== readme) writeFileSync(readmePath, next);
    if (check && (over || next !== readme)) {
      bad++;
      if (next !== readme) console.log(`  ${path.relative(ROOT, readmePath)}: the figure line is missing or stale (npm run giveaway -- --write)`);
    }
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
