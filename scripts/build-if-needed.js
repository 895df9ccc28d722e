// Compiles TypeScript to dist/ when dist is missing or older than any source file (used by `npm start`).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'dist', 'src', 'main.js');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(p));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, fs.statSync(p).mtimeMs);
  }
  return latest;
}

const sourceTime = Math.max(...['src', 'migrations', 'seeds'].map((d) => newest(path.join(root, d))));
const builtTime = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
if (builtTime < sourceTime) {
  console.log('Building Plaza (tsc)…');
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
      stdio: 'inherit',
      cwd: root,
    });
  } catch {
    console.error('The TypeScript build failed (errors above); fix them or run `npm run dev` to start from sources.');
    process.exit(1);
  }
}
