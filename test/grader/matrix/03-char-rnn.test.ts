import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judged-planted.js';

gradeMatrix('03-char-rnn');
judgedPlanted('03-char-rnn', 'negate-03');
