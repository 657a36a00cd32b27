/**
 * `tsx test/support/grade-batch.ts SUBMISSIONS OUT EXERCISE [HIDDEN]`: batch-grades one exercise
 * and prints the rows as JSON on the last line. The grader's self-tests run it as another user
 * (test/grader/attacks.test.ts: the non-root path).
 */
import { gradeSubmissions } from '../../lib/grader/batch.js';

const [subs, out, exercise, hidden] = process.argv.slice(2);
if (!subs || !out || !exercise) {
  console.error('usage: tsx test/support/grade-batch.ts SUBMISSIONS OUT EXERCISE [HIDDEN]');
  process.exit(2);
}
const { rows } = await gradeSubmissions(subs, out, { only: [exercise], hiddenDir: hidden, seed: 1234, jobs: 1, log: (l) => console.error(l) });
console.log(JSON.stringify(rows));
