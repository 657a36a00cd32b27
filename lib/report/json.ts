/**
 * metrics.json as people and diffs like it: objects indented, arrays of numbers on one line,
 * numbers to float32's precision (7 significant digits: the values come from float32 tensors),
 * NaN and ±Infinity as null (JSON has neither; readStepLog reads null back as NaN).
 */
function num(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(7)));
}

export function compactJson(value: unknown, indent = ''): string {
  if (typeof value === 'number') return num(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return compactJson((value as { toJSON(): unknown }).toJSON(), indent);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v === 'number' || v === null)) return `[${value.map((v) => (v === null ? 'null' : num(v as number))).join(',')}]`;
    if (value.every((v) => v === null || typeof v !== 'object') && JSON.stringify(value).length < 100) return `[${value.map((v) => compactJson(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
