import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('04-dcgan');
judgedPlanted('04-dcgan', 'negate-04');
