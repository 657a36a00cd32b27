#!/usr/bin/env node
// `course` entry point: registers tsx so the TypeScript sources (and students' .ts files) run
// directly, then hands over to lib/cli/index.ts.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/index.ts');
