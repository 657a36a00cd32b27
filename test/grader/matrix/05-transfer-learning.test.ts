import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('05-transfer-learning');
judgedPlanted('05-transfer-learning', 'negate-05');
