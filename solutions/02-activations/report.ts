/**
 * The verdict of the full run, into its report (lib/report): every sentence is built from the
 * measured numbers, so a student's run reports what happened with their code, not what we
 * expect to happen.
 */
import type { Stat } from '../../lib/cli/run-report.js';
import type { Report } from '../../lib/report/index.js';
import type { ActivationRun } from './compare.js';

/** Per activation, over the seeds of `--seeds N` (runs then carry the means). */
export type SeedStats = Record<string, { accuracy: Stat; secondsPerEpoch: Stat; reached: number }>;

export interface GradientSummary {
  activation: string;
  init: string;
  /** per-layer norms, first → last */
  norms: number[];
}

export interface ReportInput {
  runs: ActivationRun[];
  targetAccuracy: number;
  epochs: number;
  trainImages: number;
  valImages: number;
  depth: number;
  gradients: GradientSummary[];
  deadReluFraction: number | null;
  backend: string;
  seedStats?: SeedStats;
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const ratio = (g: GradientSummary) => g.norms[0]! / g.norms[g.norms.length - 1]!;

/** Best final validation accuracy; ties (within 0.5 %) go to the one that reached the target sooner. */
export function pickWinner(runs: ActivationRun[]): ActivationRun {
  return runs.slice().sort((a, b) => {
    if (Math.abs(a.finalValAccuracy - b.finalValAccuracy) > 0.005) return b.finalValAccuracy - a.finalValAccuracy;
    return (a.epochsToTarget ?? Infinity) - (b.epochsToTarget ?? Infinity);
  })[0]!;
}

/**
 * The comparison's table, verdict and "why" into the run's report: the ranking as a table, every
 * sentence of the verdict as a conclusion, the gradient figure with its reading.
 */
export function addVerdict(report: Report, r: ReportInput, gradientFigure: string): void {
  const byAcc = r.runs.slice().sort((a, b) => b.finalValAccuracy - a.finalValAccuracy);
  const winner = pickWinner(r.runs);
  const worst = byAcc[byAcc.length - 1]!;
  const fastest = r.runs.slice().sort((a, b) => a.secondsPerEpoch - b.secondsPerEpoch)[0]!;
  const slowest = r.runs.slice().sort((a, b) => b.secondsPerEpoch - a.secondsPerEpoch)[0]!;
  const reached = r.runs.filter((x) => x.epochsToTarget !== null).sort((a, b) => a.epochsToTarget! - b.epochsToTarget!);
  const never = r.runs.filter((x) => x.epochsToTarget === null).map((x) => x.activation);
  const ss = r.seedStats;
  const nSeeds = ss ? Object.values(ss)[0]!.accuracy.n : 1;

  report.section('3. Which activation won?');
  report.text(
    `Setup: the same ${r.depth}-layer MLP (same initial-weight seed, data and optimizer) trained for ${r.epochs} epochs on ` +
      `${r.trainImages} Fashion-MNIST images, validated on ${r.valImages} test images, backend \`${r.backend}\`` +
      (ss ? `, repeated with ${nSeeds} seeds (initial weights and data draw): mean ± sample standard deviation.` : '. One seed: `--seeds N` repeats it and reports mean ± std.'),
  );
  if (ss) {
    report.table({
      caption: `The ranking by final validation accuracy (mean ± std over ${nSeeds} seeds).`,
      columns: ['activation', `final val accuracy (mean ± std, ${nSeeds} seeds)`, `seeds reaching ${pct(r.targetAccuracy)}`, 's / epoch (mean)'],
      rows: byAcc.map((x) => {
        const st = ss[x.activation]!;
        return [x.activation, `${pct(st.accuracy.mean)} ± ${pct(st.accuracy.std)}`, `${st.reached}/${nSeeds}`, st.secondsPerEpoch.mean.toFixed(2)];
      }),
    });
  } else {
    report.table({
      caption: 'The ranking by final validation accuracy (one seed).',
      columns: ['activation', 'final val accuracy', `epochs to reach ${pct(r.targetAccuracy)}`, 's / epoch'],
      rows: byAcc.map((x) => [x.activation, pct(x.finalValAccuracy), x.epochsToTarget ?? 'never', x.secondsPerEpoch.toFixed(2)]),
    });
  }
  report.conclusion(
    `**${winner.activation}** won on this data with ${pct(winner.finalValAccuracy)} final validation accuracy; ` +
      `${worst.activation} came last with ${pct(worst.finalValAccuracy)} (a gap of ${pct(winner.finalValAccuracy - worst.finalValAccuracy)}).`,
  );
  // Binomial standard error of an accuracy measured on valImages examples.
  const stdErr = Math.sqrt((winner.finalValAccuracy * (1 - winner.finalValAccuracy)) / r.valImages);
  // several seeds: the spread over seeds is the noise (standard error of the difference of two means)
  const seedSe = (x: ActivationRun) => Math.sqrt((ss![winner.activation]!.accuracy.std ** 2 + ss![x.activation]!.accuracy.std ** 2) / nSeeds);
  const closeOnes = byAcc.filter((x) => x !== winner && winner.finalValAccuracy - x.finalValAccuracy < 2 * (ss ? seedSe(x) : stdErr));
  if (closeOnes.length > 0 && ss) {
    report.conclusion(
      `But ${closeOnes.map((x) => x.activation).join(', ')} ${closeOnes.length > 1 ? 'are' : 'is'} within two standard errors of the ` +
        `difference of the means over ${nSeeds} seeds, so the ranking among them is not settled; the larger gaps are the real result.`,
    );
  } else if (ss) {
    report.conclusion(`Every other activation is more than two standard errors (over ${nSeeds} seeds) below it: the ranking at the top is settled by this run.`);
  } else if (closeOnes.length > 0) {
    report.conclusion(
      `But ${closeOnes.map((x) => x.activation).join(', ')} ${closeOnes.length > 1 ? 'are' : 'is'} within two standard errors ` +
        `(2 × ${pct(stdErr)} on ${r.valImages} images) of it, so the ranking among them is not settled by this run; ` +
        `the gaps larger than that are the real result.`,
    );
  }
  if (reached.length > 0) {
    report.conclusion(
      `First to reach ${pct(r.targetAccuracy)}: ${reached[0]!.activation} (epoch ${reached[0]!.epochsToTarget}).` +
        (never.length ? ` Never reached it: ${never.join(', ')}.` : ''),
    );
  } else {
    report.conclusion(`No activation reached ${pct(r.targetAccuracy)} in ${r.epochs} epochs.`);
  }
  report.conclusion(
    `Time per epoch ranged from ${fastest.secondsPerEpoch.toFixed(2)} s (${fastest.activation}) to ` +
      `${slowest.secondsPerEpoch.toFixed(2)} s (${slowest.activation}); ` +
      (slowest.secondsPerEpoch / fastest.secondsPerEpoch < 1.25
        ? 'a difference under 25 %, small next to the matrix products, so here the choice is about accuracy, not speed.'
        : `${slowest.activation} was ${(slowest.secondsPerEpoch / fastest.secondsPerEpoch).toFixed(1)}× slower per epoch ` +
          '(wall-clock times on a shared machine are noisy: rerun before trusting small differences).'),
  );

  report.section('4. Why: gradients through a deep net');
  report.figure(
    gradientFigure,
    'The norm of each layer’s kernel gradient at initialisation, for a 10-layer net (log scale). Look for: a line that falls steeply towards the input side (layer 1): those layers barely learn (vanishing gradients).',
  );
  report.table({
    caption: 'First-layer gradient norm relative to the last layer, at initialisation.',
    columns: ['activation', 'init', 'layers', 'first / last'],
    rows: r.gradients.map((g) => [g.activation, g.init, g.norms.length, ratio(g).toExponential(1)]),
  });
  const sig = r.gradients.find((g) => g.activation === 'sigmoid');
  const rel = r.gradients.find((g) => g.activation === 'relu');
  if (sig && rel) {
    const factor = ratio(rel) / ratio(sig);
    report.conclusion(
      factor >= 10
        ? `The first layer of the deep sigmoid net receives a gradient ${factor.toExponential(1)} times weaker (relative to its last layer) than ` +
            `the ReLU + He net: each sigmoid layer multiplies the backward signal by σ′ ≤ 0.25, so early layers barely move. ` +
            'That is the vanishing-gradient problem. ' +
            (worst.activation === 'sigmoid'
              ? 'It matches the comparison: sigmoid finished last.'
              : `Yet sigmoid did not finish last here (${worst.activation} did), so something else limited ${worst.activation}.`)
        : `The sigmoid and ReLU nets had similar first/last gradient ratios here (factor ${factor.toFixed(1)}), so vanishing gradients do not explain the ranking on this run.`,
    );
  }
  if (r.deadReluFraction !== null) {
    report.conclusion(
      `After training, ${pct(r.deadReluFraction)} of the ReLU units were dead (never active on the validation set)` +
        (r.deadReluFraction > 0.2 ? ', a large share: leaky ReLU or ELU keep a gradient for negative inputs and avoid this.' : ', so dying ReLUs were not a problem at this depth and learning rate.'),
    );
  }
}
