import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('02-activations');
judgedPlanted('02-activations', 'negate-02');
