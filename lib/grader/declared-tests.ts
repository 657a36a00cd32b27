/**
 * Which test names a test file itself declares, read from its source (never run): the first
 * argument of every `describe`/`it`/`test` call (with `.skip`, `.each(…)`, `.runIf(…)` and the
 * like). A string is matched exactly; a template literal or an `.each` format (`%s`, `$name`)
 * matches any text in its holes.
 *
 * Why: a test that ran but has no points in the rubric is either the instructor's (a rubric
 * entry is missing: stop and say so) or the submission's — code under test can register tests
 * through vitest's globals (`__vitest_index__.test(…)`), and before this one student's extra test
 * stopped a whole batch as a "rubric error". A name the test files do not declare is the
 * submission's: it is ignored (it has no points) and shown for review.
 */
import fs from 'node:fs';
import type ts from 'typescript';
import { typescript } from '../lazy-typescript.js';

const TEST_FUNCTIONS = new Set(['describe', 'it', 'test', 'suite', 'bench']);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `.each` formats: printf-style `%s`/`%d`/… and `$variable` / `$0.name` fill-ins */
const eachHoles = (s: string) => escape(s).replace(/%[sdifjo#%]/g, '.*').replace(/\\\$[\w.[\]]+/g, '.*');

/** The callee's root name: `it` for it, it.skip, it.each(rows), describe.runIf(x), … */
function calleeRoot(e: ts.Expression): string | undefined {
  if (typescript().isIdentifier(e)) return e.text;
  if (typescript().isPropertyAccessExpression(e)) return calleeRoot(e.expression);
  if (typescript().isCallExpression(e)) return calleeRoot(e.expression);
  return undefined;
}

function namePattern(arg: ts.Expression, isEach: boolean): RegExp | undefined {
  if (typescript().isStringLiteral(arg) || typescript().isNoSubstitutionTemplateLiteral(arg)) return new RegExp(`^${isEach ? eachHoles(arg.text) : escape(arg.text)}$`);
  if (typescript().isTemplateExpression(arg)) {
    const parts = [arg.head.text, ...arg.templateSpans.map((s) => s.literal.text)].map((p) => (isEach ? eachHoles(p) : escape(p)));
    return new RegExp(`^${parts.join('.*')}$`, 's');
  }
  return undefined; // a computed name: matches nothing (said in the note, never blamed)
}

/** The name patterns a test file declares. */
export function declaredTestPatterns(file: string): RegExp[] {
  const sf = typescript().createSourceFile(file, fs.readFileSync(file, 'utf8'), typescript().ScriptTarget.Latest, true);
  const out: RegExp[] = [];
  const visit = (node: ts.Node): void => {
    if (typescript().isCallExpression(node) && node.arguments.length > 0) {
      const root = calleeRoot(node.expression);
      if (root && TEST_FUNCTIONS.has(root)) {
        const p = namePattern(node.arguments[0]!, node.expression.getText(sf).includes('.each'));
        if (p) out.push(p);
      }
    }
    typescript().forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Whether `fullName` ("describe > … > test") splits into levels that are each a name one of
 * `files` declares (a name may itself hold " > ", e.g. "dropout > 0 is active …").
 */
export function declaredIn(fullName: string, files: string[]): boolean {
  const patterns = files.flatMap((f) => declaredTestPatterns(f));
  const parts = fullName.split(' > ');
  const from = new Map<number, boolean>(); // memo: whether parts[i…] splits into declared levels
  const splits = (i: number): boolean => {
    if (i === parts.length) return true;
    if (!from.has(i)) {
      let ok = false;
      for (let j = i + 1; j <= parts.length && !ok; j++) ok = patterns.some((p) => p.test(parts.slice(i, j).join(' > '))) && splits(j);
      from.set(i, ok);
    }
    return from.get(i)!;
  };
  return splits(0);
}
