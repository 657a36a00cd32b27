/** Run reports: see docs/ARCHITECTURE.md ("lib/report"). */
export { Report, reportOf, formatCell, type Block, type Cell } from './report.js';
export { epochTable, epochRows, pct, type EpochColumn } from './tables.js';
export { withCurve, withCurvePrefix, runContext, omitCurvesFromReport } from './context.js';
export { stepEpochX, stepCount, readStepLog, type CurveData, type StepLogJson } from './step-log.js';
export { curveGroups, baseKey } from './curve-groups.js';
