/** A small strict flag parser: unknown flags are a CourseError that lists the valid ones. */
import { CourseError } from '../errors.js';

export interface FlagSpec {
  [name: string]: { type: 'string' | 'number' | 'boolean' | 'list'; help: string };
}

export type Parsed<S extends FlagSpec> = {
  positionals: string[];
  flags: { [K in keyof S]?: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'list' ? string[] : string };
};

export function parseFlags<S extends FlagSpec>(command: string, argv: string[], spec: S): Parsed<S> {
  const positionals: string[] = [];
  const flags: Record<string, unknown> = {};
  const valid = () => Object.keys(spec).map((k) => `--${k}`).join(', ') || '(none)';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[rawName];
    if (!s) throw new CourseError(`unknown flag ${arg} for \`course ${command}\``, `valid flags: ${valid()}`);
    if (s.type === 'boolean') {
      flags[rawName] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new CourseError(`flag --${rawName} needs a value`, `e.g. --${rawName} ${s.type === 'number' ? '3' : '<value>'}`);
    }
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new CourseError(`--${rawName} must be a number, got "${value}"`, `e.g. --${rawName} 3`);
      flags[rawName] = n;
    } else if (s.type === 'list') {
      // --only a b c  and  --only a,b  both work
      const items = value.split(',').filter(Boolean);
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) items.push(argv[++i]!);
      flags[rawName] = [...((flags[rawName] as string[] | undefined) ?? []), ...items];
    } else flags[rawName] = value;
  }
  return { positionals, flags } as Parsed<S>;
}

export function helpText(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([k, v]) => `  --${k}${v.type === 'boolean' ? '' : ` <${v.type}>`}`.padEnd(26) + v.help)
    .join('\n');
}
