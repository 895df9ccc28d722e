// Runs node's test runner (via tsx) over every test file under test/ with the given suffix.
// Node 20's --test does not expand globs itself. Usage: node scripts/run-tests.js [.test.ts|.e2e.ts] [extra node args…]
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const suffix = process.argv[2] || '.test.ts';
const extra = process.argv.slice(3);

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : walk(p);
    return e.name.endsWith(suffix) ? [path.relative(root, p)] : [];
  });
}

const files = walk(path.join(root, 'test')).sort();
if (files.length === 0) {
  console.error(`no test files ending in ${suffix}`);
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
