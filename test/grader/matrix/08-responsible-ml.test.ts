import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('08-responsible-ml');
