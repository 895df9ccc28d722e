import type { SensitivityLevel } from '../catalogue/table-schema';
import type { Policy, RiskReport } from '../privacy';
import { secondStewardApproved, type GateEvidence, type GateVerdict } from './gate';

/**
 * What the public dataset page says about how a release was protected: the key figures in plain
 * English, e.g. "every combination of age band, sex and ward describes at least 10 people; 3 cells
 * were hidden so that hidden values cannot be worked out from totals". Built only from counts and
 * settings, never from a data value, so it is safe to publish.
 */
export interface PublicProtection {
  level: SensitivityLevel;
  output: GateEvidence['output'];
  keyFigures: string[];
  figures: {
    inputRecords: number;
    outputRecords: number;
    smallestGroup?: number;
    k?: number;
    recordsLeftOut?: number;
    cells?: number;
    cellsHiddenPrimary?: number;
    cellsHiddenSecondary?: number;
    roundingBase?: number;
    epsilon?: string;
    minHouseholdsPerGroup?: number;
  };
  /** Checks the release passed (ids only), and any admin override (id and reason). */
  checksPassed: string[];
  overrides: { check: string; reason: string }[];
  secondStewardApproved: boolean;
}

const list = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
const words = (c: string): string => c.replace(/_/g, ' ');

/** The public account of a release's protection. */
export function publicProtection(input: {
  level: SensitivityLevel;
  policy: Policy;
  report: RiskReport;
  evidence: GateEvidence;
  verdict: GateVerdict;
}): PublicProtection {
  const { policy, report, evidence, verdict } = input;
  const key: string[] = [];
  const figures: PublicProtection['figures'] = { inputRecords: report.inputRecords, outputRecords: report.outputRecords };
  const kStep = policy.steps.find((s) => s.op === 'k-anonymity' || s.op === 'mondrian');
  const tableStep = policy.steps.find((s) => s.op === 'protect-table' || s.op === 'aggregate' || s.op === 'dp-counts' || s.op === 'dp-sum');
  const dropped = policy.steps.flatMap((s) => (s.op === 'drop' ? s.columns : []));
  if (evidence.output === 'microdata' && kStep && evidence.microdata) {
    const qi = kStep.op === 'k-anonymity' ? kStep.quasiIdentifiers.map((q) => q.column) : kStep.quasiIdentifiers;
    figures.smallestGroup = evidence.microdata.minClassSize;
    figures.k = kStep.k;
    key.push(`Every combination of ${list(qi.map(words))} describes at least ${evidence.microdata.minClassSize.toLocaleString('en-GB')} records.`);
    if (report.suppressedRecords > 0) {
      figures.recordsLeftOut = report.suppressedRecords;
      key.push(`${plural(report.suppressedRecords, 'record that could not be grouped was', 'records that could not be grouped were')} left out.`);
    }
  }
  if (evidence.output === 'table' && tableStep) {
    const t = report.table;
    const dims = tableStep.op === 'aggregate' ? tableStep.groupBy : tableStep.op === 'dp-sum' ? [] : tableStep.dimensions;
    if (report.differentialPrivacy) {
      figures.epsilon = report.differentialPrivacy.epsilon;
      key.push(`Random noise was added to every figure (differential privacy, ε = ${report.differentialPrivacy.epsilon}), so no one person's presence changes what is published.`);
    } else if (t) {
      figures.cells = t.cells;
      if (t.smallestPublishedCount !== null) {
        figures.smallestGroup = t.smallestPublishedCount;
        key.push(`Every published figure for a combination of ${list(dims.map(words))} describes at least ${t.smallestPublishedCount.toLocaleString('en-GB')} ${evidence.household ? 'households' : 'people'}.`);
      }
      if (t.primarySuppressed + t.secondarySuppressed > 0) {
        figures.cellsHiddenPrimary = t.primarySuppressed;
        figures.cellsHiddenSecondary = t.secondarySuppressed;
        if (t.totalsPublished) {
          key.push(
            `${plural(t.primarySuppressed, 'cell was', 'cells were')} hidden because ${t.primarySuppressed === 1 ? 'it was' : 'they were'} too small` +
              (t.secondarySuppressed > 0 ? `, and ${plural(t.secondarySuppressed, 'more cell was', 'more cells were')} hidden so that hidden values cannot be worked out from totals.` : '.'),
          );
        } else {
          key.push(`${plural(t.primarySuppressed, 'group was', 'groups were')} left out for being too small; no totals are published, so they cannot be worked out.`);
        }
      }
      if (t.rounding) {
        figures.roundingBase = t.rounding.base;
        key.push(`Counts were ${t.rounding.mode === 'random' ? 'randomly ' : ''}rounded to a multiple of ${t.rounding.base}.`);
      }
    }
  }
  if (evidence.household) {
    figures.minHouseholdsPerGroup = evidence.household.minHouseholdsPerGroup;
    if (evidence.household.resolutionMinutes >= 1440) key.push('Readings are published as daily (or coarser) totals, never per household.');
  }
  if (dropped.length) key.push(`${list(dropped.map(words))} ${dropped.length === 1 ? 'was' : 'were'} removed.`);
  return {
    level: input.level,
    output: evidence.output,
    keyFigures: key,
    figures,
    checksPassed: verdict.checks.filter((c) => c.passed).map((c) => c.id),
    overrides: verdict.checks.filter((c) => c.overriddenBy).map((c) => ({ check: c.id, reason: c.reason })),
    secondStewardApproved: secondStewardApproved(verdict, evidence.level),
  };
}
