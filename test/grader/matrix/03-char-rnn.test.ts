import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('03-char-rnn');
