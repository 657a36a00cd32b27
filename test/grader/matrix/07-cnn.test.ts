import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('07-cnn');
