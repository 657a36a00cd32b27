import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('09-dl-vs-ml');
