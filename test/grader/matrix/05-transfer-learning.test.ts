import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('05-transfer-learning');
