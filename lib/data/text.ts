/** Bundled plain texts for the character-level language models, plus a char vocabulary. */
import { readFileSync } from 'node:fs';
import { CourseError } from '../errors.js';
import { RESTORE_HINT, dataFile } from './paths.js';

const TEXTS = {
  /** The Adventures of Sherlock Holmes, whole book (≈562 k characters) */
  sherlock: 'sherlock-holmes.txt',
  /** first ≈30 k characters of the first story, for fast tests */
  small: 'small.txt',
} as const;
export type TextName = keyof typeof TEXTS;

const cache = new Map<TextName, string>();

export function loadText(name: TextName): string {
  if (!Object.hasOwn(TEXTS, name)) {
    throw new CourseError(`loadText: unknown text '${String(name)}'`, `use one of: ${Object.keys(TEXTS).join(', ')}`);
  }
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const file = dataFile('text', TEXTS[name]);
  const text = readFileSync(file, 'utf8');
  if (text.length === 0 || text.includes('\uFFFD')) {
    throw new CourseError(`text file ${file} is ${text.length === 0 ? 'empty' : 'not valid UTF-8'}`, RESTORE_HINT);
  }
  cache.set(name, text);
  return text;
}

export interface CharVocab {
  /** the distinct characters, sorted by code point; id = position in this list */
  chars: string[];
  size: number;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** Character vocabulary of `text` (code points, so 'é' is one character). */
export function charVocab(text: string): CharVocab {
  const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (chars.length === 0) throw new CourseError('charVocab: the text is empty', 'build the vocabulary from the training text, e.g. loadText("small")');
  const ids = new Map(chars.map((c, i) => [c, i]));
  return {
    chars,
    size: chars.length,
    encode(s: string): Int32Array {
      const out = new Int32Array([...s].length);
      let i = 0;
      for (const c of s) {
        const id = ids.get(c);
        if (id === undefined) {
          throw new CourseError(`charVocab.encode: character ${JSON.stringify(c)} is not in the vocabulary`, 'build the vocabulary from text that contains every character you encode');
        }
        out[i++] = id;
      }
      return out;
    },
    decode(idList: ArrayLike<number>): string {
      let s = '';
      for (let i = 0; i < idList.length; i++) {
        const c = chars[idList[i]!];
        if (c === undefined) throw new CourseError(`charVocab.decode: id ${idList[i]} is outside 0..${chars.length - 1}`, 'decode ids produced by this vocabulary');
        s += c;
      }
      return s;
    },
  };
}
