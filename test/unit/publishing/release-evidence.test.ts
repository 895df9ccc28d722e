import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PolicyResult, RiskReport } from '../../../src/privacy';
import { gateEvidence } from '../../../src/publishing/release-evidence';

/** The gate's evidence for a differentially private table: ε read with the engine's own parser. */
describe('release evidence', () => {
  const dpResult = (epsilon: string): Pick<PolicyResult, 'columns' | 'rows' | 'report'> => ({
    columns: [{ name: 'ward', type: 'string', role: 'quasi_identifier' }, { name: 'count', type: 'integer', role: 'measure' }],
    rows: [['North', 12]],
    report: { kind: 'table', table: null, differentialPrivacy: { epsilon, mechanism: 'discrete Laplace', cells: 1 } } as unknown as RiskReport,
  });
  const evidence = (epsilon: string) =>
    gateEvidence({ level: 'special_category', policy: { version: 1, seed: 's', steps: [] }, result: dpResult(epsilon), detectedDirect: [], settings: {}, budgetRemaining: 2 });

  test('ε written as a decimal, a fraction or with an exponent', () => {
    assert.deepEqual(evidence('0.5').table?.dp, { epsilon: 0.5, budgetRemaining: 2 });
    assert.equal(evidence('1/3').table?.dp?.epsilon, 1 / 3);
    assert.equal(evidence('2/4').table?.dp?.epsilon, 0.5);
    assert.equal(evidence('1e-1').table?.dp?.epsilon, 0.1);
    assert.equal(evidence('1').table?.dp?.epsilon, 1);
  });

  test('a value the engine would not accept is an error, not NaN', () => {
    assert.throws(() => evidence('one'), /Invalid non-negative number/);
  });
});
