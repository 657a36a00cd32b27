/**
 * Records which student functions each graded test of an exercise calls (lib/grader/uses.ts) and
 * prints where the rubric disagrees; with --write, sets the rubric's "functions"/"uses" to the
 * recording (other lines untouched). Runs the exercise's test file once on the reference.
 *   npx tsx scripts/record-uses.ts 04-dcgan [--write]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/grader/paths.js';
import { loadRubric } from '../lib/grader/rubric.js';
import { compareDeclarations, deriveDeclarations, recordUses, referenceCallGraph, studentFunctions, writeDeclarations } from '../lib/grader/uses.js';

const [exercise, flag] = process.argv.slice(2);
if (!exercise) {
  console.error('usage: npx tsx scripts/record-uses.ts <exercise> [--write]');
  process.exit(2);
}
const file = path.join(PROJECT_ROOT, 'test', `${exercise}.rubric.json`);
const tests = loadRubric(file).tests;
const t0 = Date.now();
const student = studentFunctions(exercise);
const derived = deriveDeclarations(tests, await recordUses(exercise), student, referenceCallGraph(exercise, student));
const problems = compareDeclarations(tests, derived);
console.log(`${exercise}: recorded in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${problems.length} test(s) disagree with the rubric`);
for (const p of problems) console.log(`  ${p}`);
if (flag === '--write' && problems.length > 0) {
  fs.writeFileSync(file, writeDeclarations(fs.readFileSync(file, 'utf8'), derived));
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}
