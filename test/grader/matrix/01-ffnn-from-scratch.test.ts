import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('01-ffnn-from-scratch');
// the gate tests of task 1 (01's other judged tests: test/grader/judge.test.ts, attacks/negate-flag)
judgedPlanted('01-ffnn-from-scratch', 'negate-01', /^task 1: perceptron > (learns|on XOR)/);
