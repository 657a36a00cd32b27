import { gradeMatrix } from '../../support/grader-matrix.js';

gradeMatrix('04-dcgan');
