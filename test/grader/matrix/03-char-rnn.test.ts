import path from 'node:path';
import { PROJECT_ROOT } from '../../../lib/grader/runner.js';
import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judge-planted.js';

gradeMatrix('03-char-rnn');
judgedPlanted('03-char-rnn', path.join(PROJECT_ROOT, 'test/fixtures/judge/negate-03'));
