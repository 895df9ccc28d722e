import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseHierarchyCsv, type Hierarchy } from '../../../src/privacy';

/** The shared reference data folder (outside the repo: ../shared/data). */
export const SHARED_DATA = path.resolve(__dirname, '../../../../shared/data');

/** The Adult extract and its hierarchies, loaded once per test file. */
export function loadAdult(): { header: string[]; rows: string[][]; hierarchies: Hierarchy[]; hierarchyFile: (c: string) => string } {
  const dir = path.join(SHARED_DATA, 'adult');
  const lines = readFileSync(path.join(dir, 'adult.csv'), 'utf8').split(/\r?\n/).filter((l) => l !== '');
  const header = lines[0].split(';');
  const rows = lines.slice(1).map((l) => l.split(';'));
  const hierarchyFile = (c: string): string => path.join(dir, `adult_hierarchy_${c}.csv`);
  const hierarchies = header.map((c) => parseHierarchyCsv(readFileSync(hierarchyFile(c), 'utf8'), c));
  return { header, rows, hierarchies, hierarchyFile };
}
