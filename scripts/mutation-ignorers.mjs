/**
 * Stryker ignorer for `npm run mutation`: mutants inside `new CourseError(...)` (the wording of
 * an error message and its fix) are not run. The graded tests check that bad input throws a
 * CourseError, not how the sentence reads, so a changed message says nothing about test
 * strength. The `throw` itself and the condition guarding it are still mutated.
 * Plain JavaScript: Stryker loads plugins with Node's own import.
 */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'course-error-messages', {
    shouldIgnore(path) {
      const node = path.node;
      if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && node.callee.name === 'CourseError') {
        return 'CourseError message text (the tests check that bad input throws, not the wording)';
      }
      return undefined;
    },
  }),
];
