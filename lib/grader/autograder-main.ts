/**
 * Entry point of Gradescope's run_autograder: `tsx lib/grader/autograder-main.ts [ROOT]`
 * (ROOT defaults to COURSE_AUTOGRADER_ROOT, then /autograder). Exit 0 once results.json is
 * written, whatever the score.
 */
import { runAutograder } from './autograder.js';

const root = process.argv[2] ?? process.env.COURSE_AUTOGRADER_ROOT ?? '/autograder';
const { results, file } = await runAutograder(root, (line) => console.log(line));
console.log(`score ${results.score}; wrote ${file}`);
