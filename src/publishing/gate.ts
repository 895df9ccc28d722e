import type { ColumnRole, SensitivityLevel } from '../catalogue/table-schema';
import type { GatePolicy } from './gate-policy';

/**
 * The publication gate (DESIGN.md §2): one pure function deciding whether a release may be
 * published, with the reason for every check. The server runs it on submit, on approve and on
 * publish; the UI only shows its verdict.
 */

/** What a release would publish. */
export type OutputKind = 'raw' | 'microdata' | 'table' | 'metadata_only';

/** Everything the gate looks at, measured on the exact output that would be published. */
export interface GateEvidence {
  level: SensitivityLevel;
  output: OutputKind;
  /** Columns of the output with their roles; `detected` marks a column that looks like a direct identifier. */
  columns: Array<{ name: string; role: ColumnRole; detectedDirectIdentifier?: boolean }>;
  /** Microdata figures (k-anonymity and l-diversity as measured on the output). */
  microdata?: { minClassSize: number; minDistinctL: number | null };
  /** Table figures. */
  table?: {
    /** Smallest published count above zero, or null when every count is hidden or zero. */
    minPublishedCount: number | null;
    /** Whether secondary suppression was applied and the interval audit found no recoverable cell. */
    hiddenCellsProtected: boolean;
    /** Base counts were rounded to, or null. */
    roundingBase: number | null;
    /** Differential privacy, when the counts are noisy instead of suppressed and rounded. */
    dp?: { epsilon: number; budgetRemaining: number };
  };
  /** For household meter data: the smallest group and the finest time resolution published. */
  household?: { minHouseholdsPerGroup: number; resolutionMinutes: number };
  /** Two different stewards: required for personal and special category data. */
  approvals?: { submitter: string; approver: string | null };
}

/** An admin's recorded override of one failing check. */
export interface GateOverride {
  check: string;
  admin: string;
  reason: string;
}

/** One check and its outcome. */
export interface GateCheck {
  id: string;
  passed: boolean;
  /** Why it passed or failed, in words a steward understands. */
  reason: string;
  /** Set when an admin overrode a failure. */
  overriddenBy?: string;
}

/** The gate's verdict. */
export interface GateVerdict {
  allowed: boolean;
  checks: GateCheck[];
}

/** Which verdict a caller asks for, by how far the release has come. */
export interface GateOptions {
  /**
   * `'required'` (the default): where a second steward must approve (four eyes), the verdict
   * includes that check — on approval and on publish. `'not-yet'`: the verdict before anyone has
   * approved (a preview, a submission): every check but the second steward's.
   */
  approval?: 'required' | 'not-yet';
}

/**
 * Whether a release needs a second steward's approval (four eyes): personal and special category
 * data, unless only a description is listed. Without `output`, a release that publishes data.
 */
export function needsSecondSteward(level: SensitivityLevel, output?: OutputKind): boolean {
  return (level === 'personal' || level === 'special_category') && output !== 'metadata_only';
}

/** Checks that an admin may override with a reason; the rest are absolute. */
export const overridableChecks = new Set(['public.no_direct_identifiers']);

const check = (id: string, passed: boolean, ok: string, fail: string): GateCheck => ({ id, passed, reason: passed ? ok : fail });

function directIdentifierCheck(e: GateEvidence, id: string): GateCheck {
  const direct = e.columns.filter((c) => c.role === 'direct_identifier' || c.detectedDirectIdentifier);
  return check(
    id,
    direct.length === 0,
    'No column is a direct identifier.',
    `Direct identifiers would be published: ${direct.map((c) => c.name).join(', ')}. Drop or pseudonymise them.`,
  );
}

function microdataChecks(e: GateEvidence, p: GatePolicy): GateCheck[] {
  const m = e.microdata;
  if (!m) return [check('personal.microdata_measured', false, '', 'The output has not been measured for k-anonymity.')];
  const hasSensitive = e.columns.some((c) => c.role === 'sensitive');
  const checks = [
    check('personal.k_anonymity', m.minClassSize >= p.personal.k, `Every combination of quasi-identifiers describes at least ${m.minClassSize} records (k ≥ ${p.personal.k}).`, `The smallest group of records sharing quasi-identifiers has ${m.minClassSize}; at least ${p.personal.k} are required.`),
  ];
  if (hasSensitive) {
    const l = m.minDistinctL ?? 0;
    checks.push(check('personal.l_diversity', l >= p.personal.l, `Every group has at least ${l} distinct sensitive values (l ≥ ${p.personal.l}).`, `A group has only ${l} distinct sensitive value(s); at least ${p.personal.l} are required.`));
  }
  return checks;
}

function tableChecks(e: GateEvidence, minCount: number, prefix: string, baseRequired: number | null, maxEpsilon: number | null): GateCheck[] {
  const t = e.table;
  if (!t) return [check(`${prefix}.table_measured`, false, '', 'The table has not been measured.')];
  if (t.dp) {
    const eps = t.dp;
    return [
      check(`${prefix}.dp_epsilon`, maxEpsilon !== null && eps.epsilon <= maxEpsilon, `Counts carry differentially private noise with ε = ${eps.epsilon}.`, maxEpsilon === null ? 'Differential privacy is not an accepted protection for this level.' : `ε = ${eps.epsilon} exceeds the limit of ${maxEpsilon} per release.`),
      check(`${prefix}.dp_budget`, eps.budgetRemaining >= eps.epsilon, `The dataset has ε = ${eps.budgetRemaining} of its privacy budget left; this release spends ${eps.epsilon}.`, `The dataset's remaining privacy budget (${eps.budgetRemaining}) is smaller than ε = ${eps.epsilon}.`),
    ];
  }
  const checks = [
    check(`${prefix}.threshold`, t.minPublishedCount === null || t.minPublishedCount >= minCount, `No published count is below ${minCount}.`, `A published count of ${t.minPublishedCount} is below the threshold of ${minCount}.`),
    check(`${prefix}.secondary_suppression`, t.hiddenCellsProtected, 'No hidden count can be worked out from the totals.', 'A hidden count could be worked out from the published counts and totals: apply secondary suppression.'),
  ];
  if (baseRequired !== null) {
    checks.push(check(`${prefix}.rounding`, t.roundingBase !== null && t.roundingBase >= baseRequired && t.roundingBase % baseRequired === 0, `Counts are rounded to base ${t.roundingBase}.`, `Counts must be rounded to a multiple of ${baseRequired}.`));
  }
  return checks;
}

const fourEyesId = (level: SensitivityLevel): string => `${level}.four_eyes`;

function twoStewards(e: GateEvidence): GateCheck {
  const a = e.approvals;
  const ok = !!a && a.approver !== null && a.approver !== a.submitter;
  return check(fourEyesId(e.level), ok, 'A second steward approved it.', a?.approver && a.approver === a.submitter ? 'The approver submitted this release; a second steward must approve it.' : 'A second steward must approve it.');
}

/** The checks a release faces for its level and kind of output, the second steward's apart. */
function levelChecks(e: GateEvidence, p: GatePolicy): GateCheck[] {
  switch (e.level) {
    case 'public':
      if (e.output === 'metadata_only') return [check('public.output', true, 'A description only.', '')];
      return [directIdentifierCheck(e, 'public.no_direct_identifiers')];
    case 'personal': {
      const checks: GateCheck[] = [directIdentifierCheck(e, 'personal.no_direct_identifiers')];
      if (e.output === 'raw') checks.push(check('personal.output', false, '', 'Personal data may only be published as de-identified microdata or aggregate tables.'));
      if (e.output === 'microdata') checks.push(...microdataChecks(e, p));
      if (e.output === 'table') checks.push(...tableChecks(e, p.personal.minCellCount, 'personal', null, p.specialCategory.maxEpsilon));
      if (e.household) {
        const h = e.household;
        checks.push(
          check('personal.household_group', e.output === 'table' && h.minHouseholdsPerGroup >= p.personal.householdMinGroup, `Every figure aggregates at least ${h.minHouseholdsPerGroup} households.`, `Household meter data may only be published as aggregates over at least ${p.personal.householdMinGroup} households (smallest group: ${h.minHouseholdsPerGroup}).`),
          check('personal.household_resolution', h.resolutionMinutes >= p.personal.householdMaxResolutionMinutes, 'Readings are aggregated to daily or coarser resolution.', 'Household meter data finer than daily needs the households’ consent; aggregate to days or coarser.'),
        );
      }
      return checks;
    }
    case 'special_category': {
      if (e.output === 'metadata_only') return [check('special_category.output', true, 'A description only.', '')];
      const checks: GateCheck[] = [directIdentifierCheck(e, 'special_category.no_direct_identifiers')];
      if (e.output !== 'table') checks.push(check('special_category.output', false, '', 'Special category data may only be published as aggregate tables.'));
      else checks.push(...tableChecks(e, p.specialCategory.minCellCount, 'special_category', p.specialCategory.roundingBase, p.specialCategory.maxEpsilon));
      return checks;
    }
    case 'confidential':
      return [check('confidential.output', e.output === 'metadata_only', 'A description only; no data is published.', 'Confidential data is never published; only a description of it may be listed.')];
  }
}

/** The checks a release faces for its level and kind of output: with the second steward's, where needed, unless `approval: 'not-yet'`. */
export function gateChecks(e: GateEvidence, p: GatePolicy, options: GateOptions = {}): GateCheck[] {
  const checks = levelChecks(e, p);
  if (options.approval !== 'not-yet' && needsSecondSteward(e.level, e.output)) checks.push(twoStewards(e));
  return checks;
}

/** Whether a verdict records a second steward's approval: it includes the four-eyes check, passed. */
export function secondStewardApproved(v: GateVerdict, level: SensitivityLevel): boolean {
  return v.checks.some((c) => c.id === fourEyesId(level) && c.passed);
}

/** Evaluates the gate: allowed when every check passes or an admin overrode an overridable failure. */
export function evaluateGate(e: GateEvidence, p: GatePolicy, overrides: GateOverride[] = [], options: GateOptions = {}): GateVerdict {
  const checks = gateChecks(e, p, options).map((c) => {
    if (c.passed) return c;
    const o = overrides.find((x) => x.check === c.id);
    if (o && overridableChecks.has(c.id) && o.reason.trim().length >= 20) {
      return { ...c, passed: true, overriddenBy: o.admin, reason: `${c.reason} Overridden by ${o.admin}: ${o.reason}` };
    }
    return c;
  });
  return { allowed: checks.every((c) => c.passed), checks };
}
