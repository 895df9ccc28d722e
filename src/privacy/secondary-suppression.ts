import { InfeasibleRequestError } from './privacy.errors';
import { cellCoords, cellIndex, type ProtectedTable } from './table-aggregation';

/** Cell status codes of a suppression pattern. */
export const PUBLISHED = 0;
/** A cell hidden by a primary rule. */
export const PRIMARY = 1;
/** A cell hidden only to protect a primary cell. */
export const SECONDARY = 2;

/** One hypercube: its corner cells and the sign of each corner in the protecting perturbation. */
interface Cube { corners: number[]; signs: number[] }

/**
 * Enumerates the hypercubes through a cell: for each dimension pick a second coordinate. Moving
 * every corner by sign × δ keeps every marginal total additive (a corner pair on a line has opposite
 * signs unless one of them is the line's total, where both move together).
 */
function cubes(t: ProtectedTable, cell: number): Cube[] {
  const a = cellCoords(t, cell);
  const d = a.length;
  const out: Cube[] = [];
  const alt = a.map((x, j) => Array.from({ length: t.shape[j] }, (_, y) => y).filter((y) => y !== x));
  const choice = new Array<number>(d).fill(0);
  if (alt.some((x) => x.length === 0)) return out;
  for (;;) {
    const b = choice.map((c, j) => alt[j][c]);
    const corners: number[] = [];
    const signs: number[] = [];
    for (let mask = 0; mask < 1 << d; mask++) {
      let sign = 1;
      const coords = a.map((x, j) => {
        if (!(mask & (1 << j))) return x;
        const total = t.shape[j] - 1;
        if (x !== total && b[j] !== total) sign = -sign;
        return b[j];
      });
      corners.push(cellIndex(t, coords));
      signs.push(sign);
    }
    out.push({ corners, signs });
    let j = d - 1;
    while (j >= 0 && ++choice[j] === alt[j].length) { choice[j] = 0; j--; }
    if (j < 0) return out;
  }
}

/** Whether a cube lets the cell move by `need` both ways without any corner going negative. */
function protects(cube: Cube, values: ArrayLike<number>, need: number, cell: number): boolean {
  for (let i = 0; i < cube.corners.length; i++) {
    const v = values[cube.corners[i]];
    if (!(v > 0)) return false;
    const own = cube.corners[i] === cell;
    if (!own && v < need) return false;
    if (own && v < Math.min(need, v)) return false;
  }
  return true;
}

/**
 * Secondary suppression by the hypercube method: for each primary cell (largest protection need
 * first, then by index) not yet covered by a fully suppressed hypercube, suppress the hypercube
 * whose newly suppressed cells have the smallest total value (then fewest new cells, then smallest
 * cell indices). The cube's perturbation proves the interval of every corner has width >= 2δ.
 */
export function secondarySuppression(t: ProtectedTable, status: Uint8Array, need: ArrayLike<number>, values: ArrayLike<number> = t.value): Uint8Array {
  const out = status.slice();
  const primaries = [...out.keys()].filter((i) => out[i] === PRIMARY).sort((x, y) => need[y] - need[x] || x - y);
  for (const p of primaries) {
    const req = Math.max(1e-9, need[p]);
    let best: { cost: number; fresh: number; key: number[]; cube: Cube } | null = null;
    for (const cube of cubes(t, p)) {
      if (!protects(cube, values, req, p)) continue;
      const freshCells = cube.corners.filter((c) => out[c] === PUBLISHED).sort((x, y) => x - y);
      const cost = freshCells.reduce((s, c) => s + values[c], 0);
      const cand = { cost, fresh: freshCells.length, key: freshCells, cube };
      if (best === null || cand.cost < best.cost || (cand.cost === best.cost && (cand.fresh < best.fresh || (cand.fresh === best.fresh && lexLess(cand.key, best.key))))) best = cand;
      if (best.fresh === 0) break;
    }
    if (best === null) {
      throw new InfeasibleRequestError('No suppression pattern can protect a primary cell of this table', { cell: cellCoords(t, p) });
    }
    for (const c of best.cube.corners) if (out[c] === PUBLISHED) out[c] = SECONDARY;
  }
  return out;
}

/** Lexicographic comparison of sorted index lists. */
function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}
