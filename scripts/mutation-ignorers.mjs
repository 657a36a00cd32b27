/**
 * Stryker ignorer for `npm run mutation`: mutants that only change the WORDING of an error are
 * not run, because the graded tests check that bad input throws a CourseError, not how the
 * sentence reads, so such a mutant says nothing about test strength:
 *   - everything inside `new CourseError(...)` (problem and fix text);
 *   - string arguments of the validation helpers `checkX(...)` / `assertX(...)` (lib/), which
 *     only name the calling function in their messages, e.g. checkWeights('l1Penalty', w).
 * The `throw`, the condition guarding it and the helper call itself are still mutated.
 * Plain JavaScript: Stryker loads plugins with Node's own import.
 */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const isHelperName = (name) => /^(check|assert)[A-Z]/.test(name);

function calleeName(callee) {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') return callee.property.name;
  return '';
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'course-error-messages', {
    shouldIgnore(path) {
      const node = path.node;
      if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && node.callee.name === 'CourseError') {
        return 'CourseError message text (the tests check that bad input throws, not the wording)';
      }
      if ((node.type === 'StringLiteral' || node.type === 'TemplateLiteral') && path.parent?.type === 'CallExpression' &&
          path.parent.arguments.includes(node) && isHelperName(calleeName(path.parent.callee))) {
        return 'name passed to a validation helper for its error message';
      }
      return undefined;
    },
  }),
];
