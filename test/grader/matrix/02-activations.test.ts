import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('02-activations');
