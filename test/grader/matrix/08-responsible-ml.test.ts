import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('08-responsible-ml');
judgedPlanted('08-responsible-ml', 'negate-08');
