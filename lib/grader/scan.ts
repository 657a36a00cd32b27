/**
 * A static review scan of a submission (TypeScript's own parser, no type checking): lists the
 * lines an instructor should look at because they do things exercise code has no reason to do,
 * e.g. start processes, write files, read /proc, open the network, evaluate strings as code,
 * import from outside the exercise folder and lib/, or patch tfjs, chai or built-in prototypes.
 * A finding marks the submission "needs review" in report.md and grades.csv; it never changes the
 * score (the sandbox and the harness handle what the code actually does).
 */
import fs from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';
import { typescript } from '../lazy-typescript.js';
import { MAX_SUBMISSION_DEPTH } from './sandbox/index.js';
import { escapeMarkdown, plainLine } from './plain-text.js';

export type ScanRule = 'child-process' | 'fs-write' | 'proc' | 'process-binding' | 'network' | 'eval' | 'outside-import' | 'patch' | 'runner-internals';

export interface ScanFinding {
  /** path relative to the folder that was scanned's parent (e.g. 01-ffnn-from-scratch/index.ts) */
  file: string;
  line: number;
  rule: ScanRule;
  /** the source line, trimmed and clipped */
  text: string;
}

export const SCAN_RULES: Record<ScanRule, string> = {
  'child-process': 'starts processes or threads (child_process, worker_threads, cluster, process.kill)',
  'fs-write': 'writes, moves or deletes files',
  proc: 'reads /proc',
  'process-binding': 'uses process.binding / process.dlopen (native internals)',
  network: 'uses the network (net, http, dns, fetch, WebSocket, …)',
  eval: 'evaluates strings as code (eval, Function, vm)',
  'outside-import': 'imports from outside its exercise folder and lib/ (or a computed path)',
  patch: 'patches tfjs, chai/expect or a built-in prototype, or reaches into the test runner or tfjs\'s engine',
  'runner-internals': "touches the test runner's internals (__vitest_* globals, the worker RPC) or other processes' descriptors (/proc/<pid>/fd, pidfd_getfd, the parent's pid)",
};

/**
 * Names and strings only code that goes after the grader uses: vitest's worker globals and RPC
 * (a forged verdict), a descriptor taken from another process (the result channel), the parent's
 * pid (to find that process). Matched in identifiers, property names and string/template text.
 */
const RUNNER_NAMES = /__vitest|__tinypool|\bonTaskUpdate\b|\bpidfd_(getfd|open)\b|\bptrace\b|\/proc\/[^\s'"`]*\/fd(info)?\b/;

const PROCESS_MODULES = new Set(['child_process', 'worker_threads', 'cluster']);
const NETWORK_MODULES = new Set(['net', 'http', 'https', 'http2', 'dgram', 'tls', 'dns', 'undici', 'ws']);
const EVAL_MODULES = new Set(['vm']);
const FS_WRITES = /^(writeFile|appendFile|rm|rmdir|unlink|rename|chmod|chown|mkdir|mkdtemp|createWriteStream|copyFile|cp|symlink|link|truncate|utimes|open)(Sync)?$/;
const PATCH_ROOTS = /^(tf|chai|expect|vi|vitest|globalThis|global)$/;
const PATCH_CALLS = new Set(['registerGradient', 'registerKernel', 'unregisterKernel', 'unregisterGradient', 'registerBackend', 'removeBackend', 'setBackend']);
const DEFINE_CALLS = /^(Object|Reflect)\.(defineProperty|defineProperties|setPrototypeOf|assign)$/;

function moduleName(spec: string): string {
  return spec.replace(/^node:/, '').split('/')[0]!;
}

/**
 * Every .ts/.js file under `dir` (a submission's exercise folder): regular files with UTF-8 names
 * only, as the stage copies them (sandbox/stage.ts), and not deeper than it copies.
 */
function sourceFiles(dir: string, depth = 0): string[] {
  const out: string[] = [];
  let names: Buffer[] = [];
  try {
    names = fs.readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return out;
  }
  for (const raw of names) {
    const name = raw.toString('utf8');
    if (!Buffer.from(name).equals(raw)) continue;
    const p = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory() && name !== 'node_modules' && depth < MAX_SUBMISSION_DEPTH) out.push(...sourceFiles(p, depth + 1));
    else if (st.isFile() && /\.(m|c)?(t|j)sx?$/.test(name)) out.push(p);
  }
  return out.sort();
}

/** Scans one exercise folder of a submission; `libDir` is where its `../../lib` points. */
export function scanExercise(folder: string, libDir: string): ScanFinding[] {
  const findings: ScanFinding[] = [];
  for (const file of sourceFiles(folder)) {
    try {
      findings.push(...scanFile(file, folder, libDir));
    } catch {
      // changed or gone since the listing: the stage copy decides what is graded
    }
  }
  return findings;
}

export function scanFile(file: string, folder: string, libDir: string): ScanFinding[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = typescript().createSourceFile(file, text, typescript().ScriptTarget.Latest, true, file.endsWith('x') ? typescript().ScriptKind.TSX : typescript().ScriptKind.TS);
  const lines = text.split('\n');
  const findings: ScanFinding[] = [];
  const seen = new Set<string>();
  const flag = (node: ts.Node, rule: ScanRule) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const key = `${line}:${rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    const src = (lines[line - 1] ?? '').trim();
    findings.push({ file: path.relative(path.dirname(folder), file), line, rule, text: src.length > 120 ? `${src.slice(0, 117)}...` : src });
  };
  const fsNames = new Set<string>(); // local names bound to the fs module (import fs / * as fs / require)
  const checkSpecifier = (node: ts.Node, spec: string) => {
    const mod = moduleName(spec);
    // the test runner's own objects (chai, expect, vi) have no use in exercise code
    if (mod === 'vitest' || mod === 'chai' || mod === '@vitest') flag(node, 'patch');
    if (PROCESS_MODULES.has(mod)) flag(node, 'child-process');
    if (NETWORK_MODULES.has(mod)) flag(node, 'network');
    if (EVAL_MODULES.has(mod)) flag(node, 'eval');
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) {
      const target = path.resolve(path.dirname(file), spec.replace(/^file:\/\//, ''));
      const inside = (dir: string) => target === dir || target.startsWith(`${dir}${path.sep}`);
      if (!inside(folder) && !inside(libDir)) flag(node, 'outside-import');
    }
  };
  const rootName = (e: ts.Expression): string | null => {
    let cur: ts.Expression = e;
    while (typescript().isPropertyAccessExpression(cur) || typescript().isElementAccessExpression(cur) || typescript().isCallExpression(cur) || typescript().isParenthesizedExpression(cur) || typescript().isAsExpression(cur) || typescript().isNonNullExpression(cur)) {
      cur = typescript().isCallExpression(cur) ? cur.expression : cur.expression;
    }
    return typescript().isIdentifier(cur) ? cur.text : null;
  };
  /** `(x as T)!` → `x` */
  const unwrap = (e: ts.Expression): ts.Expression => {
    let cur = e;
    while (typescript().isParenthesizedExpression(cur) || typescript().isAsExpression(cur) || typescript().isNonNullExpression(cur) || typescript().isTypeAssertionExpression(cur)) cur = cur.expression;
    return cur;
  };
  const isPatchTarget = (e: ts.Expression): boolean => {
    const t = e.getText(sf);
    if (/\.prototype\b|__proto__/.test(t)) return true;
    const root = rootName(e);
    return root !== null && PATCH_ROOTS.test(root);
  };

  const visit = (node: ts.Node): void => {
    if ((typescript().isImportDeclaration(node) || typescript().isExportDeclaration(node)) && node.moduleSpecifier && typescript().isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      checkSpecifier(node, spec);
      if (typescript().isImportDeclaration(node) && moduleName(spec).startsWith('fs')) {
        const clause = node.importClause;
        if (clause?.name) fsNames.add(clause.name.text);
        const nb = clause?.namedBindings;
        if (nb && typescript().isNamespaceImport(nb)) fsNames.add(nb.name.text);
        if (nb && typescript().isNamedImports(nb)) for (const el of nb.elements) if (FS_WRITES.test((el.propertyName ?? el.name).text)) flag(el, 'fs-write');
      }
    }
    if (typescript().isCallExpression(node)) {
      const callee = node.expression;
      const calleeText = callee.getText(sf);
      const arg0 = node.arguments[0];
      // import('x') / require('x')
      if (callee.kind === typescript().SyntaxKind.ImportKeyword || (typescript().isIdentifier(callee) && callee.text === 'require')) {
        if (arg0 && typescript().isStringLiteralLike(arg0)) {
          checkSpecifier(node, arg0.text);
          if (moduleName(arg0.text).startsWith('fs') && typescript().isVariableDeclaration(node.parent) && typescript().isIdentifier(node.parent.name)) fsNames.add(node.parent.name.text);
        } else flag(node, 'outside-import');
      }
      if (typescript().isIdentifier(callee) && (callee.text === 'eval' || callee.text === 'Function')) flag(node, 'eval');
      if (typescript().isIdentifier(callee) && callee.text === 'fetch') flag(node, 'network');
      if (typescript().isPropertyAccessExpression(callee)) {
        const name = callee.name.text;
        const root = rootName(callee.expression);
        // also through casts and parentheses: (process as any).binding('fs')
        if (root === 'process' && /^(binding|_linkedBinding|dlopen)$/.test(name)) flag(node, 'process-binding');
        if (root === 'process' && name === 'kill') flag(node, 'child-process');
        if (FS_WRITES.test(name) && root !== null && (fsNames.has(root) || /^(fs|fsp|promises)$/.test(root))) flag(node, 'fs-write');
        if (PATCH_CALLS.has(name) && root === 'tf') flag(node, 'patch');
        // tfjs's engine holds the autodiff tape and the tensor counts the tests read
        if (name === 'engine' && root === 'tf') flag(node, 'patch');
        if (name === 'extend' && root === 'expect') flag(node, 'patch');
        if (name === 'use' && root === 'chai') flag(node, 'patch');
      }
      if (DEFINE_CALLS.test(calleeText) && arg0 && isPatchTarget(arg0)) flag(node, 'patch');
    }
    if (typescript().isNewExpression(node)) {
      const t = node.expression.getText(sf);
      if (t === 'Function') flag(node, 'eval');
      if (t === 'WebSocket' || t === 'XMLHttpRequest' || t === 'EventSource') flag(node, 'network');
    }
    if (typescript().isBinaryExpression(node) && node.operatorToken.kind >= typescript().SyntaxKind.FirstAssignment && node.operatorToken.kind <= typescript().SyntaxKind.LastAssignment) {
      const left = node.left;
      if ((typescript().isPropertyAccessExpression(left) || typescript().isElementAccessExpression(left)) && isPatchTarget(left.expression)) flag(node, 'patch');
    }
    const isText = typescript().isStringLiteralLike(node) || typescript().isTemplateHead(node) || typescript().isTemplateMiddle(node) || typescript().isTemplateTail(node);
    if (isText && /(^|[^\w])\/proc(\/|$)/.test(node.text)) flag(node, 'proc');
    if ((isText || typescript().isIdentifier(node) || typescript().isPrivateIdentifier(node)) && RUNNER_NAMES.test(node.text)) flag(node, 'runner-internals');
    if (typescript().isPropertyAccessExpression(node) && node.name.text === 'ppid' && rootName(node.expression) === 'process') flag(node, 'runner-internals');
    // globalThis[someName]: a global looked up by a computed name (how a scan is dodged)
    if (typescript().isElementAccessExpression(node) && /^(globalThis|global)$/.test(unwrap(node.expression).getText(sf)) && !typescript().isStringLiteralLike(node.argumentExpression)) flag(node, 'runner-internals');
    if (typescript().isPropertyAccessExpression(node) && node.getText(sf) === 'process.binding' && !typescript().isCallExpression(node.parent)) flag(node, 'process-binding');
    typescript().forEachChild(node, visit);
  };
  visit(sf);
  return findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

/** "01-ffnn-from-scratch/index.ts:12 child-process — spawn(…)" lines for report.md. */
export function formatFindings(findings: ScanFinding[]): string[] {
  // the student's line in a code span (not rendered as Markdown/HTML), control characters shown as escapes
  return findings.map((f) => `${escapeMarkdown(f.file)}:${f.line} ${f.rule} (${SCAN_RULES[f.rule]}): \`${plainLine(f.text, 200).replace(/`/g, "'")}\``);
}
