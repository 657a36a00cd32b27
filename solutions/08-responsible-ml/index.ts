/**
 * 08-responsible-ml — the reference solution.
 *
 * Five measurements that turn the chapter's ethics section into numbers: a per-group audit of a
 * classifier's errors, two mitigations of representation bias (reweighting by group, per-group
 * thresholds), a loss-threshold membership-inference attack, gradient saliency maps, and the
 * compute, energy and CO₂ cost of training.
 *
 * Conventions: binary labels and predictions are 0/1; group ids are 0 (A, the majority of the
 * training set) and 1 (B). Plain arrays in, plain numbers out, except where tensors are the point.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/08-responsible-ml.js';
import { checkAssumptions, checkAuditInputs, checkLosses, checkRate, checkScoredSet, checkSizes, checkStrength } from '../../lib/exercise-support/08-responsible-ml.js';
import type { Audit, EnergyAssumptions, EnergyEstimate, Examples, GroupRates, MembershipResult, ScoredSet, ThresholdResult } from '../../lib/exercise-support/08-responsible-ml.js';

// ───────────────────────────── Task 1: the audit ─────────────────────────────

/** Accuracy, selection rate, FPR and FNR of the examples whose group id is `group`. */
export function groupRates(predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>, group: 0 | 1): GroupRates {
  checkAuditInputs('groupRates', predictions, labels, groups);
  let n = 0, positives = 0, selected = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (groups[i] !== group) continue;
    n++;
    positives += labels[i]!;
    selected += predictions[i]!;
    if (predictions[i] === 1 && labels[i] === 0) fp++;
    if (predictions[i] === 0 && labels[i] === 1) fn++;
  }
  if (n === 0) throw new CourseError(`groupRates: group ${group} has no examples`, 'an audit needs examples of every group: check the group ids (0 = A, 1 = B) or sample more');
  const negatives = n - positives;
  return { n, positives, negatives, accuracy: (n - fp - fn) / n, selectionRate: selected / n, fpr: fp / negatives, fnr: fn / positives };
}

/** Both groups' rates and the two gaps between them. */
export function audit(predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>): Audit {
  const a = groupRates(predictions, labels, groups, 0);
  const b = groupRates(predictions, labels, groups, 1);
  return {
    groups: [a, b],
    demographicParityDifference: b.selectionRate - a.selectionRate,
    equalisedOddsDifference: Math.max(Math.abs(b.fpr - a.fpr), Math.abs(b.fnr - a.fnr)),
  };
}

// ───────────────────────────── Task 2: mitigations ─────────────────────────────

/** Per-example training weights (mean 1) that give each group total weight ∝ n_g^(1 − strength). */
export function groupWeights(groups: ArrayLike<number>, strength: number): Float32Array {
  checkStrength('groupWeights', strength);
  const counts = [0, 0];
  for (let i = 0; i < groups.length; i++) counts[groups[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  if (present === 0) throw new CourseError('groupWeights: no examples', 'pass one group id per training example');
  const raw = Float32Array.from(groups, (g) => (groups.length / (present * counts[g]!)) ** strength);
  const mean = raw.reduce((s, w) => s + w, 0) / raw.length;
  return raw.map((w) => w / mean);
}

/** 1 where score ≥ the example's group threshold (a tie counts as positive), else 0. */
export function applyGroupThresholds(scores: ArrayLike<number>, groups: ArrayLike<number>, thresholds: readonly number[]): Int32Array {
  return Int32Array.from(Array.from(scores), (s, i) => (s >= thresholds[groups[i]!]! ? 1 : 0));
}

/** The largest threshold t (one of the positives' scores) with FNR(t) ≤ targetFnr. */
export function thresholdForFnr(scores: ArrayLike<number>, labels: ArrayLike<number>, targetFnr: number): number {
  checkRate('thresholdForFnr', 'targetFnr', targetFnr);
  const pos = Array.from(scores).filter((_, i) => labels[i] === 1).sort((a, b) => a - b);
  if (pos.length === 0) throw new CourseError('thresholdForFnr: no positive examples', 'the FNR is undefined without positives: fit on a split that has some of each group');
  // FNR(pos[k]) = (positives strictly below pos[k]) / m; ties all stay positive at t = pos[k]
  let best = pos[0]!;
  for (let k = 0; k < pos.length; k++) {
    let below = k;
    while (below > 0 && pos[below - 1] === pos[k]) below--;
    if (below / pos.length <= targetFnr) best = pos[k]!;
  }
  return best;
}

/** Per-group thresholds fitted on `val` (each group's FNR ≤ target), applied to `test`. */
export function thresholdMitigation(val: ScoredSet, test: ScoredSet, targetFnr: number): ThresholdResult {
  checkScoredSet('thresholdMitigation', val);
  checkScoredSet('thresholdMitigation', test);
  const fit = (g: number) => {
    const idx = Array.from(val.groups, (gi, i) => (gi === g ? i : -1)).filter((i) => i >= 0);
    return thresholdForFnr(idx.map((i) => val.scores[i]!), idx.map((i) => val.labels[i]!), targetFnr);
  };
  const thresholds: [number, number] = [fit(0), fit(1)];
  return { thresholds, testPredictions: applyGroupThresholds(test.scores, test.groups, thresholds) };
}

// ───────────────────────────── Task 3: membership inference ─────────────────────────────

/** Binary cross-entropy of each example from its logit, computed stably: shape [n]. */
export function perExampleLoss(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as tf.Tensor1D);
}

/** P(a member's loss < a non-member's loss) + ½ P(equal): the AUC of "lower loss ⇒ member". */
export function membershipAuc(memberLosses: ArrayLike<number>, nonMemberLosses: ArrayLike<number>): number {
  checkLosses('membershipAuc', 'memberLosses', memberLosses);
  checkLosses('membershipAuc', 'nonMemberLosses', nonMemberLosses);
  const non = Float64Array.from(nonMemberLosses).sort();
  let wins = 0;
  for (let i = 0; i < memberLosses.length; i++) {
    const m = memberLosses[i]!;
    const below = lowerBound(non, m);
    const notAbove = upperBound(non, m);
    wins += non.length - notAbove + 0.5 * (notAbove - below);
  }
  return wins / (memberLosses.length * non.length);
}

function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! < v) lo = mid + 1; else hi = mid; }
  return lo;
}
function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! <= v) lo = mid + 1; else hi = mid; }
  return lo;
}

/** The attack on a model: each set's per-example losses and the AUC of telling them apart. */
export function membershipAttack(logitsOf: (x: tf.Tensor2D) => tf.Tensor1D, members: Examples, nonMembers: Examples): MembershipResult {
  const lossesOf = (e: Examples) => tf.tidy(() => perExampleLoss(logitsOf(e.x), e.y).dataSync() as Float32Array).slice();
  const memberLosses = lossesOf(members);
  const nonMemberLosses = lossesOf(nonMembers);
  return { auc: membershipAuc(memberLosses, nonMemberLosses), memberLosses, nonMemberLosses };
}

// ───────────────────────────── Task 4: saliency ─────────────────────────────

/** |∂ logit_i / ∂ x_i| for every example i and input feature: same shape as x. */
export function saliencyMap(logitsOf: (x: tf.Tensor2D) => tf.Tensor1D, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.abs(tf.grad((input: tf.Tensor) => tf.sum(logitsOf(input as tf.Tensor2D)))(x)) as tf.Tensor2D);
}

// ───────────────────────────── Task 5: cost ─────────────────────────────

/** FLOPs of one training step of a dense net: forward 2·in·out per layer and example, backward twice that. */
export function trainStepFlops(sizes: readonly number[], batch: number): number {
  checkSizes('trainStepFlops', sizes, batch);
  let macs = 0;
  for (let l = 0; l + 1 < sizes.length; l++) macs += sizes[l]! * sizes[l + 1]!;
  return 3 * 2 * macs * batch;
}

/** Energy (kWh) and CO₂ (g) of `seconds` of training under the stated assumptions. */
export function energyEstimate(seconds: number, a: EnergyAssumptions): EnergyEstimate {
  checkAssumptions('energyEstimate', seconds, a);
  const kWh = (a.watts * a.pue * seconds) / 3.6e6;
  return { kWh, gramsCO2: kWh * a.gramsPerKWh };
}
