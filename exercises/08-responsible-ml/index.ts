/**
 * 08-responsible-ml — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the function
 * must compute (definition, shapes, edge cases); HOW is in the hints: `course hint 08-responsible-ml`.
 *
 * Five measurements that turn the chapter's ethics section into numbers: a per-group audit of a
 * classifier's errors, two mitigations of representation bias (reweighting by group, per-group
 * thresholds), a loss-threshold membership-inference attack, gradient saliency maps, and the
 * compute, energy and CO₂ cost of training.
 *
 * Conventions: binary labels and predictions are 0/1; group ids are 0 (A, the majority of the
 * training set) and 1 (B). Plain arrays in, plain numbers out, except where tensors are the point.
 * Bad input is rejected by the given check…() calls at the top of each function (CourseError):
 * keep them first.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/08-responsible-ml.js';
import { checkAssumptions, checkAuditInputs, checkLosses, checkRate, checkScoredSet, checkSizes, checkStrength } from '../../lib/exercise-support/08-responsible-ml.js';
import type { Audit, EnergyAssumptions, EnergyEstimate, Examples, GroupRates, MembershipResult, ScoredSet, ThresholdResult } from '../../lib/exercise-support/08-responsible-ml.js';

// ───────────────────────────── Task 1: the audit ─────────────────────────────

/** Accuracy, selection rate, FPR and FNR of the examples whose group id is `group`. */
export function groupRates(predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>, group: 0 | 1): GroupRates {
  checkAuditInputs('groupRates', predictions, labels, groups);
  // TODO: fill every field of GroupRates (see its comments in lib/exercise-support/08-responsible-ml.ts)
  //   from the examples of this group only — every count and every denominator is the group's.
  //   - A group with no examples: throw a CourseError (imported above) whose message names the
  //     group, e.g. "group 1 has no examples".
  //   - A rate whose denominator is 0 (a group without negatives has no FPR) is NaN, not 0.
  //   Check (A = the examples with group 0): labels 1 1 0 0 0 0, predictions 1 0 1 0 0 0 →
  //   n 6, accuracy 4/6, selection rate 2/6, FPR 1/4, FNR 1/2.
  throw new NotImplemented('groupRates');
}

/** Both groups' rates and the two gaps between them. */
export function audit(predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>): Audit {
  // TODO: groups = [rates of A, rates of B] (groupRates does the checking), and the two gaps
  //   as defined on the Audit type: the demographic parity difference is SIGNED (B minus A);
  //   the equalised-odds difference is the larger of the two absolute gaps.
  //   Check: B selected at 1 and A at 1/3 → parity difference +2/3; swap them → −2/3.
  throw new NotImplemented('audit');
}

// ───────────────────────────── Task 2: mitigations ─────────────────────────────

/** Per-example training weights (mean 1) that shift the loss's weight towards the smaller group. */
export function groupWeights(groups: ArrayLike<number>, strength: number): Float32Array {
  checkStrength('groupWeights', strength);
  // TODO: one weight per example. With N examples, G groups present and n_g examples in the
  //   example's group, its raw weight is (N / (G · n_g)) ^ strength; return the raw weights
  //   divided by their mean (so they average exactly 1 at every strength).
  //   strength 0 → all 1 (no mitigation); strength 1 → each group's weights sum to N / G.
  //   Check: groups [0, 0, 0, 1], strength 1 → [2/3, 2/3, 2/3, 2].
  throw new NotImplemented('groupWeights');
}

/** 1 where score ≥ the example's group threshold, else 0. */
export function applyGroupThresholds(scores: ArrayLike<number>, groups: ArrayLike<number>, thresholds: readonly number[]): Int32Array {
  // TODO: one 0/1 prediction per example, thresholds[g] for an example of group g. A score exactly
  //   equal to its threshold is predicted 1.
  throw new NotImplemented('applyGroupThresholds');
}

/** The largest threshold t, among the positives' scores, whose FNR is at most targetFnr. */
export function thresholdForFnr(scores: ArrayLike<number>, labels: ArrayLike<number>, targetFnr: number): number {
  checkRate('thresholdForFnr', 'targetFnr', targetFnr);
  // TODO: FNR(t) = (positives with score strictly below t) / (number of positives), so a positive
  //   whose score equals t is kept. Among the positives' scores, return the LARGEST t with
  //   FNR(t) ≤ targetFnr (negatives' scores are never candidates). No positives: a CourseError.
  //   Check: positives' scores 0.2, 0.4, 0.4, 0.9 → target 0 gives 0.2, 0.25 gives 0.4, 0.75 gives 0.9.
  throw new NotImplemented('thresholdForFnr');
}

/** Per-group thresholds (each group's FNR ≤ target) fitted on one split and applied to the other. */
export function thresholdMitigation(val: ScoredSet, test: ScoredSet, targetFnr: number): ThresholdResult {
  checkScoredSet('thresholdMitigation', val);
  checkScoredSet('thresholdMitigation', test);
  // TODO: thresholds[g] = thresholdForFnr of group g's examples of ONE split — decide which: the
  //   result's test predictions are what the report calls the mitigated model's test
  //   performance. testPredictions = those thresholds applied to `test`.
  throw new NotImplemented('thresholdMitigation');
}

// ───────────────────────────── Task 3: membership inference ─────────────────────────────

/** Binary cross-entropy of each example from its logit: shape [n]. */
export function perExampleLoss(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor1D {
  // TODO: loss_i = −[y_i · log σ(z_i) + (1 − y_i) · log(1 − σ(z_i))], one per example, no mean.
  //   It must stay finite for |z| = 100 (z = 100, y = 0 → 100). Leave no intermediate tensors.
  throw new NotImplemented('perExampleLoss');
}

/** The AUC of the attack "lower loss ⇒ training member". */
export function membershipAuc(memberLosses: ArrayLike<number>, nonMemberLosses: ArrayLike<number>): number {
  checkLosses('membershipAuc', 'memberLosses', memberLosses);
  checkLosses('membershipAuc', 'nonMemberLosses', nonMemberLosses);
  // TODO: over every (member, non-member) pair: 1 when the member's loss is lower, ½ when equal,
  //   0 otherwise; return the mean. 0.5 = the attacker learns nothing, 1 = perfect.
  //   Check: members [0.1, 0.5], non-members [0.3, 0.5] → 0.625.
  throw new NotImplemented('membershipAuc');
}

/** The attack on a model: each set's per-example losses and the AUC of telling them apart. */
export function membershipAttack(logitsOf: (x: tf.Tensor2D) => tf.Tensor1D, members: Examples, nonMembers: Examples): MembershipResult {
  // TODO: the per-example losses of the model (logitsOf gives one logit per row) on the training
  //   members and on the held-out non-members, as Float32Arrays, and membershipAuc between them.
  //   Dispose every tensor you make.
  throw new NotImplemented('membershipAttack');
}

// ───────────────────────────── Task 4: saliency ─────────────────────────────

/** How strongly each input feature moves each example's own logit. */
export function saliencyMap(logitsOf: (x: tf.Tensor2D) => tf.Tensor1D, x: tf.Tensor2D): tf.Tensor2D {
  // TODO: S[i, j] = |∂ logit_i / ∂ x[i, j]|: same shape as x, ≥ 0, computed by autodiff in one
  //   pass over the whole batch (row i's logit depends only on row i). The derivative is of the
  //   logit, not of the probability or the loss. Leave no intermediate tensors.
  //   Check: for logit = x · w the map is |w| in every row.
  throw new NotImplemented('saliencyMap');
}

// ───────────────────────────── Task 5: cost ─────────────────────────────

/** FLOPs of one training step (forward + backward) of a stack of dense layers. */
export function trainStepFlops(sizes: readonly number[], batch: number): number {
  checkSizes('trainStepFlops', sizes, batch);
  // TODO: sizes = [inputs, hidden…, outputs]. Count a multiply and an add as 2 FLOPs; the forward
  //   pass of a layer with `in` inputs and `out` outputs costs 2·in·out per example, the backward
  //   pass twice the forward (gradients for the inputs and for the weights); biases and
  //   activations are negligible. Check: [3, 2], batch 1 → 36.
  throw new NotImplemented('trainStepFlops');
}

/** Energy (kWh) and CO₂ (grams) of `seconds` of training under the stated assumptions. */
export function energyEstimate(seconds: number, a: EnergyAssumptions): EnergyEstimate {
  checkAssumptions('energyEstimate', seconds, a);
  // TODO: the energy drawn at `a.watts` for `seconds`, times the data centre's overhead `a.pue`,
  //   in kWh (1 kWh = 3.6e6 J); the CO₂ is that energy times `a.gramsPerKWh`.
  //   Check: 3600 s at 100 W, PUE 1.5, 400 g/kWh → 0.15 kWh, 60 g.
  throw new NotImplemented('energyEstimate');
}
