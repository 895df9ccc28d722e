import type { HierarchySpec } from './hierarchy.builder';
import type { Policy, PolicyCriterion, PolicyStep } from './policy.schema';
import { TABLE_PRESETS } from './table-protection';
import { formatNumber } from './numeric.generaliser';

/** What a run decided that the policy alone does not say (e.g. the levels the search chose). */
export interface PolicyOutcome {
  /** Level chosen per quasi-identifier by the k-anonymity search. */
  levels?: Record<string, number>;
  suppressedRecords?: number;
  /** Groups of an aggregate step left out for being below its minimum group size. */
  suppressedCells?: number;
  /** Rare category values of a protected table's dimensions published as "Other". */
  rareCategories?: { min: number; recoded: number };
}

const list = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Plain words for one column cut to one level of its hierarchy; null when the level changes nothing. */
export function describeLevel(column: string, spec: HierarchySpec, level: number): string | null {
  if (level <= 0) return null;
  const withheld = `${column} withheld`;
  switch (spec.type) {
    case 'interval': {
      const coded = spec.topCode !== undefined || spec.bottomCode !== undefined;
      const steps = spec.widths ?? spec.breaks ?? [];
      if (steps.length === 0 && coded) return level === 1 ? topBottom(column, spec) : withheld;
      if (level > steps.length) return withheld;
      const extra = coded ? ` (${topBottom(column, spec)})` : '';
      if (spec.widths) {
        const w = formatNumber(spec.widths[level - 1]);
        return spec.unit ? `${column} grouped into ${w}-${spec.unit} bands${extra}` : `${column} grouped into bands of ${w}${extra}`;
      }
      return `${column} grouped into bands starting at ${(spec.breaks as number[][])[level - 1].map(formatNumber).join(', ')}${extra}`;
    }
    case 'date': {
      const levels = spec.levels ?? ['week', 'month', 'quarter', 'year'];
      return level > levels.length ? withheld : `${column} reduced to the ${levels[level - 1]}`;
    }
    case 'postcode': {
      const levels = spec.levels ?? ['sector', 'district', 'area'];
      return level > levels.length ? withheld : `${column} cut to postcode ${levels[level - 1]}`;
    }
    case 'coordinate': {
      if (level > spec.steps.length) return withheld;
      const s = spec.steps[level - 1];
      if (spec.scheme === 'grid') return `${column} moved to the centre of a ${formatNumber(s)} m grid square`;
      if (spec.scheme === 'h3') return `${column} replaced by an H3 hexagon (resolution ${s})`;
      return `${column} cut to ${s} decimal places`;
    }
    case 'csv':
    case 'table':
      return `${column} generalised to level ${level} of its hierarchy`;
  }
}

/** Top/bottom coding in words. */
function topBottom(column: string, spec: { topCode?: number; bottomCode?: number }): string {
  const parts: string[] = [];
  if (spec.topCode !== undefined) parts.push(`${column} of ${formatNumber(spec.topCode)} or more shown as ${formatNumber(spec.topCode)}+`);
  if (spec.bottomCode !== undefined) parts.push(`${column} below ${formatNumber(spec.bottomCode)} shown as <${formatNumber(spec.bottomCode)}`);
  return list(parts);
}

/** Sentences for one step. */
function explainStep(step: PolicyStep, outcome: PolicyOutcome): string[] {
  switch (step.op) {
    case 'drop': return [`${list(step.columns)} removed`];
    case 'pseudonymise': return [`${list(step.columns)} replaced by ${step.scope === 'global' ? 'a consistent' : 'a'} code that cannot be reversed without the portal's secret key`];
    case 'generalise': { const d = describeLevel(step.column, step.hierarchy, step.level); return d ? [d] : []; }
    case 'k-anonymity': {
      const out = step.quasiIdentifiers
        .map((q) => describeLevel(q.column, q.hierarchy, outcome.levels?.[q.column] ?? 0))
        .filter((x): x is string => x !== null);
      out.push(`every combination of ${list(step.quasiIdentifiers.map((q) => q.column))} is shared by at least ${step.k} records`);
      if ((outcome.suppressedRecords ?? 0) > 0) out.push(`${outcome.suppressedRecords} records that could not be grouped were left out`);
      for (const c of step.criteria) out.push(criterionWords(c));
      return out;
    }
    case 'mondrian': {
      const out = [`${list(step.quasiIdentifiers)} replaced by ranges shared by at least ${step.k} records`];
      for (const c of step.criteria) out.push(criterionWords(c));
      return out;
    }
    case 'aggregate': {
      const out = [`only totals by ${list(step.groupBy)} are published`];
      if (step.minGroupSize) {
        out.push(`a total is published only where ${step.minGroupSize.measure} is at least ${step.minGroupSize.min}`);
        if ((outcome.suppressedCells ?? 0) > 0) out.push(`${outcome.suppressedCells} smaller group${outcome.suppressedCells === 1 ? ' was' : 's were'} left out`);
      }
      return out;
    }
    case 'protect-table': {
      const preset = step.preset ? TABLE_PRESETS[step.preset] : undefined;
      const rules = step.rules ?? preset?.rules ?? [];
      const rounding = step.rounding ?? (preset && 'rounding' in preset ? preset.rounding : undefined);
      const out = [`counts by ${list(step.dimensions)} are published with totals`];
      if ((outcome.rareCategories?.recoded ?? 0) > 0) out.push(`categories held by fewer than ${outcome.rareCategories!.min} records shown as "Other"`);
      for (const r of rules) {
        if (r.type === 'threshold') out.push(`counts under ${r.min} hidden`);
        if (r.type === 'dominance') out.push(`totals where ${r.n} contributor${r.n > 1 ? 's' : ''} make up over ${r.k}% hidden`);
        if (r.type === 'p-percent') out.push(`totals that would reveal a contributor's value to within ${r.p}% hidden`);
      }
      if (step.secondary ?? preset?.secondary ?? true) out.push('some other cells hidden so that hidden counts cannot be worked out from the totals');
      if (rounding) out.push(rounding.mode === 'nearest' ? `counts rounded to the nearest ${rounding.base}` : `counts randomly rounded to a multiple of ${rounding.base}`);
      return out;
    }
    case 'dp-counts':
      return [`counts by ${list(step.dimensions)} have random noise added (differential privacy, ε = ${String(step.epsilon)}), so no single person's presence can be detected`];
    case 'dp-sum':
      return [`the total of ${step.column} has random noise added (differential privacy, ε = ${String(step.epsilon)}), each record counted between ${step.lower} and ${step.upper}`];
  }
}

/** Words for an l-diversity or t-closeness criterion. */
function criterionWords(c: PolicyCriterion): string {
  switch (c.type) {
    case 'distinct-l': return `each group has at least ${c.l} different values of ${c.column}`;
    case 'entropy-l': return `values of ${c.column} are spread evenly enough in each group (entropy ${c.l}-diversity)`;
    case 'recursive-cl': return `no value of ${c.column} dominates a group (recursive (${c.c}, ${c.l})-diversity)`;
    case 't-closeness': return `the mix of ${c.column} in each group is close to the whole table's (t = ${c.t})`;
  }
}

/**
 * The plain-English statement for the public dataset page: one clause per thing done, from the
 * policy and the choices the run made, e.g. "age grouped into 10-year bands; postcode cut to
 * postcode district; counts under 10 hidden; counts rounded to the nearest 5".
 */
export function explainPolicy(policy: Policy, outcome: PolicyOutcome = {}): string {
  const clauses = policy.steps.flatMap((s) => explainStep(s, outcome));
  if (clauses.length === 0) return 'The data is published as collected.';
  const text = clauses.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}
