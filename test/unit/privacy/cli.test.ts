import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { register as registerAnonymise } from '../../../src/cli/commands/anonymise.command';
import { register as registerProtect } from '../../../src/cli/commands/protect-table.command';
import { SHARED_DATA } from './adult.fixture';

let dir = '';
before(() => { dir = mkdtempSync(path.join(tmpdir(), 'plaza-privacy-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `plaza <args>` in-process; returns the exit code the command set and what it printed to stderr. */
function plaza(args: string[]): { code: number; stderr: string } {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerAnonymise(program);
  registerProtect(program);
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  let code = 0;
  try {
    program.parse(['node', 'plaza', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    process.stderr.write = write;
    process.exitCode = undefined;
  }
  return { code, stderr };
}

const adult = path.join(SHARED_DATA, 'adult');
const qis = ['sex', 'age', 'race', 'marital-status', 'education', 'native-country', 'workclass', 'occupation', 'salary-class'].flatMap((c) => ['--qi', `${c}=${path.join(adult, `adult_hierarchy_${c}.csv`)}`]);

describe('plaza anonymise', () => {
  test('reproduces the Adult reference row k=5, s=0.04, DM', () => {
    const out = path.join(dir, 'out.csv');
    const report = path.join(dir, 'report.json');
    const r = plaza(['anonymise', '--input', path.join(adult, 'adult.csv'), '--delimiter', ';', ...qis, '--k', '5', '--suppression', '0.04', '--metric', 'dm', '--out', out, '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    assert.equal(rep.metric, 'dm');
    assert.equal(rep.score, 7220555);
    assert.deepEqual(rep.levels, { sex: 0, age: 0, race: 1, 'marital-status': 2, education: 3, 'native-country': 2, workclass: 2, occupation: 1, 'salary-class': 1 });
    assert.equal(rep.suppressed, 105);
    assert.equal(rep.classes, 356);
    assert.ok((rep.minClass as number) >= 5);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 30162 - 105 + 1);
    assert.equal(lines[0], 'sex;age;race;marital-status;education;native-country;workclass;occupation;salary-class');
  });
  test('l-diversity on a sensitive column; other columns pass through', () => {
    const out = path.join(dir, 'l.csv');
    const q = qis.slice(0, 6);
    const r = plaza(['anonymise', '--input', path.join(adult, 'adult.csv'), '--delimiter', ';', ...q, '--k', '3', '--suppression', '0.02', '--metric', 'loss',
      '--sensitive', 'occupation', '--l-diversity', 'distinct:2', '--out', out, '--report', path.join(dir, 'l.json')]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(readFileSync(path.join(dir, 'l.json'), 'utf8')) as { report: { after: { lDiversity: { minimumL: number }[] } } };
    assert.ok(rep.report.after.lDiversity[0].minimumL >= 2);
  });
  test('bad arguments and missing hierarchy values exit 2 with a message', () => {
    const h = path.join(dir, 'sex.csv');
    writeFileSync(h, 'Male;*\n');
    const base = ['anonymise', '--input', path.join(adult, 'adult.csv'), '--delimiter', ';', '--out', path.join(dir, 'x.csv'), '--report', path.join(dir, 'x.json')];
    let r = plaza([...base, '--qi', `sex=${h}`, '--k', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Value "Female" of column "sex" is missing from its hierarchy/);
    r = plaza([...base, '--qi', `sex=${h}`, '--k', '2', '--metric', 'best']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--metric/);
    r = plaza([...base, '--qi', `nope=${h}`, '--k', '2']);
    assert.match(r.stderr, /Unknown column "nope"/);
    r = plaza([...base, ...qis.slice(0, 2), '--k', '40000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /larger than the number of records/);
  });
});

describe('plaza protect-table', () => {
  test('sdcTable example: 1 primary and 3 secondary suppressions, audited', () => {
    const out = path.join(dir, 't.csv');
    const report = path.join(dir, 't.json');
    const r = plaza(['protect-table', '--input', path.join(SHARED_DATA, 'sdctable', 'microdata1.csv'), '--dimensions', 'region,gender', '--threshold', '10', '--marker', '*', '--audit', '--out', out, '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { primarySuppressed: number; secondarySuppressed: number; audit: { allProtected: boolean } };
    assert.equal(rep.primarySuppressed, 1);
    assert.equal(rep.secondarySuppressed, 3);
    assert.equal(rep.audit.allProtected, true);
    const csv = readFileSync(out, 'utf8');
    assert.match(csv, /^region,gender,count\n/);
    assert.match(csv, /\nA,female,\*\n/);
    assert.match(csv, /\nTotal,Total,100\n/);
  });
  test('bad arguments exit 2', () => {
    const r = plaza(['protect-table', '--input', path.join(SHARED_DATA, 'sdctable', 'microdata1.csv'), '--dimensions', 'region,nope', '--threshold', '10', '--out', path.join(dir, 'y.csv'), '--report', path.join(dir, 'y.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown column "nope"/);
  });
});
