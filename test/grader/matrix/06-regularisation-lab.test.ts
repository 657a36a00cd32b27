import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('06-regularisation-lab');
