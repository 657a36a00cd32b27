import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('01-ffnn-from-scratch');
