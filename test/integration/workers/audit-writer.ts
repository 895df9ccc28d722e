import { appendAudit } from '../../../src/audit/audit.repository';
import { createDb } from '../../../src/db/knex';

/** Appends N audit entries, each in its own transaction, then exits; used by concurrency tests. */
async function main() {
  const [url, schema, n, label] = process.argv.slice(2);
  const db = await createDb(url, { schema: schema || undefined, poolMax: 2 });
  try {
    for (let i = 0; i < Number(n); i++) {
      await appendAudit(db, { actor: 'system', action: 'admin.checkpoint', details: { writer: label, i } });
    }
  } finally {
    await db.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(String(err?.code ?? ''), String(err?.message ?? err));
    process.exit(1);
  },
);
