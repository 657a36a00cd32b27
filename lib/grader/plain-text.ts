/**
 * Feedback is plain text everywhere (issue 21): a submission controls its error messages, and
 * those reach report.md, Gradescope's Markdown `output`, results.json and the instructor's
 * terminal. Nothing in them may act as markup or as a terminal command:
 *  - control characters (ESC sequences that clear the screen or draw OSC-8 links, BEL, C1
 *    codes) and invisible format characters (bidi overrides, zero-width) are shown as `\x1b`,
 *    `\u202e`, … (a newline becomes a space where one line is expected);
 *  - in Markdown, HTML and Markdown syntax are escaped (`<img onerror>`, `</details>`,
 *    `![](tracking URL)`, `[x](javascript:…)`, a "# Score" heading all render as the literal text);
 *  - long texts are cut; the worker cuts thrown messages before vitest copies them
 *    (test/support/grader-harness.ts uses shrinkThrown).
 * No imports: the harness loads this in the test worker.
 */

/** C0 controls but tab/newline, DEL, C1 controls, and the format characters that reorder or hide text. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Control and format characters shown as escapes; tabs and newlines kept. */
export function visibleControls(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/** At most `max` characters (a lone surrogate at the cut is dropped), saying how much was cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max).replace(/[\ud800-\udbff]$/, '');
  return `${head}… (${text.length - head.length} more characters)`;
}

/** One line of plain text: controls visible, whitespace runs (newlines included) one space, cut at `max`. */
export function plainLine(text: string, max = 1000): string {
  // cut first (a 10 MB message is not scanned whole), then clean, then cut what the escapes added
  return clip(visibleControls(clip(text, max).replace(/\s+/g, ' ').trim()), max + 40);
}

/** Markdown (CommonMark/GFM) and HTML syntax escaped: the text renders as itself, on one line. */
export function escapeMarkdown(text: string): string {
  return plainLine(text, 4000)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // what can open markup inside a line (the text never starts a line: lists and headings need that)
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`);
}

const MAX_MESSAGE = 2000;
const MAX_STACK = 6000;

/**
 * What a test threw, cut before vitest serializes it (message, stack, diff values): a 10 MB
 * message otherwise is copied through the worker's RPC, vitest's main process and the IPC to the
 * grader, and ran workers out of heap. Returns the same object where it could be changed.
 */
export function shrinkThrown(thrown: unknown): unknown {
  if (typeof thrown === 'string') return clip(thrown, MAX_MESSAGE);
  if (thrown === null || typeof thrown !== 'object') return thrown;
  const e = thrown as Record<string, unknown>;
  for (const [key, max] of [['message', MAX_MESSAGE], ['stack', MAX_STACK], ['actual', MAX_MESSAGE], ['expected', MAX_MESSAGE]] as const) {
    try {
      const v = e[key];
      if (typeof v === 'string' && v.length > max) e[key] = clip(v, max);
    } catch {
      // a getter that throws, a frozen error: vitest and the reporter cut later
    }
  }
  return thrown;
}
