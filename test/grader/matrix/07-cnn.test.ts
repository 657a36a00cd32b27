import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('07-cnn');
judgedPlanted('07-cnn', 'negate-07');
