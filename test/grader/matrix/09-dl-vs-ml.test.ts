import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('09-dl-vs-ml');
judgedPlanted('09-dl-vs-ml', 'negate-09');
