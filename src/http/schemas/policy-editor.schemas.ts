import { METRICS } from '../../privacy';
import { columnField, defaultForm, MEASURE_FNS, PROTECTIONS, TABLE_METHODS, TABLE_RULES, TRANSFORMS, type FormColumn, type PolicyForm } from '../../publishing/policy-form';

/** The release policy editor's HTML fields → the form state (src/publishing/policy-form.ts). */

const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  const s = str(v);
  return (allowed as readonly string[]).includes(s) ? (s as T) : fallback;
}

/** Reads the form's fields from a urlencoded body (unknown values become defaults; the converter judges the rest). */
export function formFromBody(columns: FormColumn[], body: Record<string, unknown>): PolicyForm {
  const d = defaultForm(columns, '');
  return {
    seed: str(body.seed),
    pseudonymScope: oneOf(body.pseudonymScope, ['release', 'global'] as const, 'release'),
    columns: columns.map((_, i) => ({
      transform: oneOf(body[columnField.transform(i)], TRANSFORMS, 'keep'),
      generalise: str(body[columnField.generalise(i)]),
      param: str(body[columnField.param(i)]).trim(),
      unit: str(body[columnField.unit(i)]).trim(),
      hierarchy: str(body[columnField.hierarchy(i)]).replace(/\r\n/g, '\n'),
      topCode: str(body[columnField.topCode(i)]).trim(),
      bottomCode: str(body[columnField.bottomCode(i)]).trim(),
    })),
    protection: oneOf(body.protection, PROTECTIONS, 'none'),
    k: str(body.k).trim(),
    suppression: str(body.suppression).trim(),
    metric: oneOf(body.metric, METRICS, d.metric),
    lDiversity: str(body.lDiversity).trim(),
    tCloseness: str(body.tCloseness).trim(),
    tableMethod: oneOf(body.tableMethod, TABLE_METHODS, 'suppress'),
    groupBy: list(body.groupBy),
    measure: str(body.measure),
    rule: oneOf(body.rule, TABLE_RULES, 'threshold'),
    threshold: str(body.threshold).trim(),
    secondary: str(body.secondary) === 'yes',
    rounding: str(body.rounding).trim(),
    audit: str(body.audit) === 'yes',
    countOf: str(body.countOf),
    countName: str(body.countName).trim(),
    measureFn: oneOf(body.measureFn, MEASURE_FNS, 'sum'),
    measureName: str(body.measureName).trim(),
    epsilon: str(body.epsilon).trim(),
    categories: str(body.categories).replace(/\r\n/g, '\n'),
    householdTime: str(body.householdTime),
    householdCount: str(body.householdCount).trim(),
  };
}

