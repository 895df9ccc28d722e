import fs from 'node:fs';
import path from 'node:path';

/** The repository root (holds package.json), found from this file whether run from src/ or dist/src/. */
export const projectRoot: string = (() => {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
})();

/** Absolute path of a file or folder under the repository root. */
export function fromRoot(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}
