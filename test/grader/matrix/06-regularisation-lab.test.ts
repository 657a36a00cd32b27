import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('06-regularisation-lab');
judgedPlanted('06-regularisation-lab', 'negate-06');
