import path from 'node:path';
import { PROJECT_ROOT } from '../../../lib/grader/runner.js';
import { gradeMatrix } from '../../support/grader-matrix.js';
import { judgedPlanted } from '../../support/judge-planted.js';

gradeMatrix('04-dcgan');
judgedPlanted('04-dcgan', path.join(PROJECT_ROOT, 'test/fixtures/judge/negate-04'));
