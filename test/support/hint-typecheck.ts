/**
 * Type-checks the ```ts fragments of hints against the exercise's own exports, with the TypeScript
 * compiler API: per exercise one virtual file next to the stub (exercises/NN-name/__hints__.ts)
 * that imports what the stub files import and every export of the stub's index.ts, with each fragment inside its own
 * async function whose parameters are the fence's `given:` list. One program for all exercises
 * (the tfjs typings are read once).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../lib/exercises.js';
import type { HintFragment } from '../../lib/hints.js';

export interface FragmentError {
  exercise: string;
  task: number;
  level: number;
  /** 1-based line inside the fragment (0 = the given: parameter list) */
  line: number;
  message: string;
}

function compilerOptions(): ts.CompilerOptions {
  const cfg = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/**
 * The imports of the exercise's stub files (fragments may use what the stub imports, e.g.
 * makeRng), one import per name; `tf` always.
 */
function stubImports(dir: string): { lines: string[]; names: Set<string> } {
  const names = new Set<string>(['tf']);
  const lines = [`import * as tf from '@tensorflow/tfjs';`];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('__')).sort()) {
    const sf = ts.createSourceFile(f, readFileSync(path.join(dir, f), 'utf8'), ts.ScriptTarget.Latest);
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !st.importClause || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const from = st.moduleSpecifier.text;
      const clause = st.importClause;
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings) && !names.has(bindings.name.text)) {
        names.add(bindings.name.text);
        lines.push(`import * as ${bindings.name.text} from '${from}';`);
      }
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          if (names.has(el.name.text)) continue;
          names.add(el.name.text);
          const typeOnly = clause.isTypeOnly || el.isTypeOnly ? 'type ' : '';
          lines.push(`import { ${typeOnly}${el.propertyName ? `${el.propertyName.text} as ` : ''}${el.name.text} } from '${from}';`);
        }
      }
    }
  }
  return { lines, names };
}

const wrapperPath = (exercise: string) => path.join(ROOT, 'exercises', exercise, '__hints__.ts');

/** `fragments` per exercise id → every type error, located in its fragment. */
export function typecheckFragments(fragments: Map<string, HintFragment[]>): FragmentError[] {
  const options = compilerOptions();
  const stubs = [...fragments.keys()].map((ex) => path.join(ROOT, 'exercises', ex, 'index.ts'));
  const first = ts.createProgram(stubs, options);
  const checker = first.getTypeChecker();

  const virtual = new Map<string, string>();
  /** wrapper line → fragment and the fragment's first line */
  const lineMaps = new Map<string, { frag: HintFragment; start: number; exercise: string }[]>();
  for (const [exercise, frags] of fragments) {
    const sf = first.getSourceFile(path.join(ROOT, 'exercises', exercise, 'index.ts'));
    const sym = sf && checker.getSymbolAtLocation(sf);
    const names = sym ? checker.getExportsOfModule(sym).map((s) => s.name).filter((n) => n !== 'default' && n !== 'tf') : [];
    const imports = stubImports(path.join(ROOT, 'exercises', exercise));
    const exported = names.filter((n) => !imports.names.has(n));
    const lines = [...imports.lines, `import { ${exported.join(', ')} } from './index.js';`, 'void tf;'];
    const map: { frag: HintFragment; start: number; exercise: string }[] = [];
    frags.forEach((frag, i) => {
      lines.push(`export async function __fragment${i}(${(frag.given ?? '').split(';').map((s) => s.trim()).filter(Boolean).join(', ')}) {`);
      map.push({ frag, start: lines.length + 1, exercise });
      lines.push(...frag.code.replace(/\n$/, '').split('\n'), '}');
    });
    virtual.set(wrapperPath(exercise), lines.join('\n'));
    lineMaps.set(wrapperPath(exercise), map);
  }

  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(path.resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(path.resolve(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = virtual.get(path.resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram([...stubs, ...virtual.keys()], options, host, first);

  const errors: FragmentError[] = [];
  for (const [file, map] of lineMaps) {
    const sf = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
      const owner = [...map].reverse().find((m) => m.start - 1 <= line);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!owner) {
        errors.push({ exercise: path.basename(path.dirname(file)), task: 0, level: 0, line, message: `(imports) ${message}` });
        continue;
      }
      errors.push({ exercise: owner.exercise, task: owner.frag.task, level: owner.frag.level, line: line - owner.start + 1, message });
    }
  }
  return errors;
}

export function formatErrors(errors: FragmentError[]): string {
  return errors.map((e) => `${e.exercise} task ${e.task} level ${e.level}, fragment line ${e.line}: ${e.message}`).join('\n');
}
