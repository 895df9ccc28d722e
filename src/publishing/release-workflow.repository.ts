import type { DbOrTrx } from '../db/knex';
import type { SensitivityLevel } from '../catalogue/table-schema';
import { policyEpsilons, type PrivacyBudget } from '../privacy/dp.budget';
import type { ReleaseSettings } from './release-evidence';
import type { ReleaseState } from './workflow';

/**
 * Private records of the release workflow: versioned release policies and the dataset's open
 * release (draft, in review or approved — at most one at a time) with who submitted and approved
 * it, the approval hash, the last preview and admin overrides.
 */

/** One saved version of a dataset's release policy. */
export interface PolicyVersion {
  datasetId: number;
  version: number;
  policy: unknown;
  settings: ReleaseSettings;
  note: string;
  createdBy: string;
  createdAt: string;
}

/** A stored preview: what the policy made of a source version (no raw values; output rows only). */
export interface StoredPreview {
  sourceVersion: number;
  policyVersion: number;
  ranAt: string;
  ranBy: string;
  durationMs: number;
  [key: string]: unknown;
}

/** A release in the workflow. */
export interface WorkflowRelease {
  id: number;
  datasetId: number;
  state: ReleaseState | 'publishing';
  version: number | null;
  sourceId: number | null;
  sourceVersion: number | null;
  policyVersion: number | null;
  policy: unknown;
  notes: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string | null;
  submittedBy: string | null;
  submittedAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  approvalHash: string | null;
  rejectedReason: string | null;
  preview: StoredPreview | null;
  gate: unknown;
  overrides: Array<{ check: string; admin: string; reason: string; at: string }>;
  publishedAt: string | null;
  rowCount: number | null;
  withdrawnReason: string | null;
}

const parse = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : (JSON.parse(String(v)) as T));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function policyFromRow(r: Record<string, unknown>): PolicyVersion {
  return {
    datasetId: Number(r.dataset_id),
    version: Number(r.version),
    policy: JSON.parse(String(r.policy_json)),
    settings: parse<ReleaseSettings>(r.settings_json, {}),
    note: String(r.note ?? ''),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
  };
}

function releaseFromRow(r: Record<string, unknown>): WorkflowRelease {
  return {
    id: Number(r.id),
    datasetId: Number(r.dataset_id),
    state: String(r.state) as WorkflowRelease['state'],
    version: num(r.version),
    sourceId: num(r.source_id),
    sourceVersion: num(r.source_version),
    policyVersion: num(r.policy_version),
    policy: parse<unknown>(r.policy_json, null),
    notes: String(r.notes ?? ''),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
    updatedAt: str(r.updated_at),
    submittedBy: str(r.submitted_by),
    submittedAt: str(r.submitted_at),
    approvedBy: str(r.approved_by),
    approvedAt: str(r.approved_at),
    approvalHash: str(r.approval_hash),
    rejectedReason: str(r.rejected_reason),
    preview: parse<StoredPreview | null>(r.preview_json, null),
    gate: parse<unknown>(r.gate_json, null),
    overrides: parse<WorkflowRelease['overrides']>(r.overrides_json, []),
    publishedAt: str(r.published_at),
    rowCount: num(r.row_count),
    withdrawnReason: str(r.withdrawn_reason),
  };
}

/** Saves a new version of a dataset's release policy; returns its version number. */
export async function insertPolicyVersion(
  db: DbOrTrx,
  p: { datasetId: number; policy: unknown; settings: ReleaseSettings; note: string; createdBy: string },
): Promise<number> {
  const row = (await db('release_policies').where({ dataset_id: p.datasetId }).max({ v: 'version' }).first()) as { v: number | null } | undefined;
  const version = Number(row?.v ?? 0) + 1;
  await db('release_policies').insert({
    dataset_id: p.datasetId,
    version,
    policy_json: JSON.stringify(p.policy),
    settings_json: JSON.stringify(p.settings),
    note: p.note,
    created_by: p.createdBy,
    created_at: new Date().toISOString(),
  });
  return version;
}

/** The latest saved policy of a dataset. */
export async function latestPolicyVersion(db: DbOrTrx, datasetId: number): Promise<PolicyVersion | undefined> {
  const r = (await db('release_policies').where({ dataset_id: datasetId }).orderBy('version', 'desc').first()) as Record<string, unknown> | undefined;
  return r ? policyFromRow(r) : undefined;
}

/** One saved policy version. */
export async function getPolicyVersion(db: DbOrTrx, datasetId: number, version: number): Promise<PolicyVersion | undefined> {
  const r = (await db('release_policies').where({ dataset_id: datasetId, version }).first()) as Record<string, unknown> | undefined;
  return r ? policyFromRow(r) : undefined;
}

/** Every saved policy version of a dataset, newest first (metadata: version, note, who, when). */
export async function listPolicyVersions(db: DbOrTrx, datasetId: number): Promise<Omit<PolicyVersion, 'policy' | 'settings'>[]> {
  const rows = (await db('release_policies').where({ dataset_id: datasetId }).orderBy('version', 'desc').select('dataset_id', 'version', 'note', 'created_by', 'created_at')) as Record<string, unknown>[];
  return rows.map((r) => ({ datasetId: Number(r.dataset_id), version: Number(r.version), note: String(r.note ?? ''), createdBy: String(r.created_by), createdAt: String(r.created_at) }));
}

/**
 * The dataset's differential-privacy ledger: the ε of every DP step of every release that was
 * ever published (superseded and withdrawn ones included: what was released stays spent).
 */
export async function privacyLedger(db: DbOrTrx, datasetId: number, totalEpsilon: number): Promise<PrivacyBudget> {
  const rows = (await db('releases').where({ dataset_id: datasetId }).whereNotNull('published_at').orderBy('id').select('id', 'version', 'policy_json')) as Record<string, unknown>[];
  const spent = rows.flatMap((r) => policyEpsilons(parse<unknown>(r.policy_json, null)).map((epsilon, i) => ({ release: `v${String(r.version)}#${i + 1}`, epsilon })));
  return { total: String(totalEpsilon), spent };
}

/** The dataset's release that is still in the workflow (draft, in review or approved). */
export async function openRelease(db: DbOrTrx, datasetId: number): Promise<WorkflowRelease | undefined> {
  const r = (await db('releases').where({ dataset_id: datasetId }).whereIn('state', ['draft', 'in_review', 'approved']).orderBy('id', 'desc').first()) as
    | Record<string, unknown>
    | undefined;
  return r ? releaseFromRow(r) : undefined;
}

/** Every release of a dataset, newest first. */
export async function listWorkflowReleases(db: DbOrTrx, datasetId: number): Promise<WorkflowRelease[]> {
  const rows = (await db('releases').where({ dataset_id: datasetId }).orderBy('id', 'desc')) as Record<string, unknown>[];
  return rows.map(releaseFromRow);
}

/** Creates a draft release; returns its id. */
export async function insertDraftRelease(
  db: DbOrTrx,
  r: { datasetId: number; sourceId: number | null; sourceVersion: number | null; policyVersion: number; policy: unknown; createdBy: string },
): Promise<number> {
  const now = new Date().toISOString();
  const [row] = await db('releases')
    .insert({
      dataset_id: r.datasetId,
      state: 'draft',
      version: null,
      source_id: r.sourceId,
      source_version: r.sourceVersion,
      policy_version: r.policyVersion,
      policy_json: JSON.stringify(r.policy),
      created_by: r.createdBy,
      notes: '',
      created_at: now,
      updated_at: now,
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** Changes to a release in the workflow (only the fields given are written). */
export interface WorkflowUpdate {
  state?: WorkflowRelease['state'];
  sourceId?: number | null;
  sourceVersion?: number | null;
  policyVersion?: number;
  policy?: unknown;
  notes?: string;
  submittedBy?: string | null;
  submittedAt?: string | null;
  approvedBy?: string | null;
  approvedAt?: string | null;
  approvalHash?: string | null;
  rejectedReason?: string | null;
  preview?: StoredPreview | null;
  gate?: unknown;
  overrides?: WorkflowRelease['overrides'];
}

const columnsOf: Record<keyof WorkflowUpdate, string> = {
  state: 'state',
  sourceId: 'source_id',
  sourceVersion: 'source_version',
  policyVersion: 'policy_version',
  policy: 'policy_json',
  notes: 'notes',
  submittedBy: 'submitted_by',
  submittedAt: 'submitted_at',
  approvedBy: 'approved_by',
  approvedAt: 'approved_at',
  approvalHash: 'approval_hash',
  rejectedReason: 'rejected_reason',
  preview: 'preview_json',
  gate: 'gate_json',
  overrides: 'overrides_json',
};
const jsonFields = new Set<keyof WorkflowUpdate>(['policy', 'preview', 'gate', 'overrides']);

/** Writes workflow fields of a release; `expectState` makes the write conditional (returns false when it did not match). */
export async function updateWorkflowRelease(db: DbOrTrx, id: number, u: WorkflowUpdate, expectState?: WorkflowRelease['state']): Promise<boolean> {
  const patch: Record<string, unknown> = { updated_at: new Date().toISOString() };
  for (const [k, v] of Object.entries(u) as [keyof WorkflowUpdate, unknown][]) {
    if (v === undefined) continue;
    patch[columnsOf[k]] = jsonFields.has(k) && v !== null ? JSON.stringify(v) : v;
  }
  const q = db('releases').where({ id });
  if (expectState) void q.andWhere({ state: expectState });
  return (await q.update(patch)) > 0;
}

/** Releases awaiting approval for datasets of the given publishers (all publishers when null). */
export async function releasesInReview(
  db: DbOrTrx,
  publisherIds: number[] | null,
): Promise<Array<WorkflowRelease & { datasetSlug: string; datasetTitle: string; level: SensitivityLevel; publisherId: number }>> {
  const q = db('releases as r')
    .join('datasets as d', 'd.id', 'r.dataset_id')
    .where('r.state', 'in_review')
    .orderBy('r.submitted_at', 'asc')
    .select('r.*', 'd.slug as dataset_slug', 'd.title as dataset_title', 'd.sensitivity_level as level', 'd.publisher_id as publisher_id');
  if (publisherIds) void q.whereIn('d.publisher_id', publisherIds.length ? publisherIds : [-1]);
  const rows = (await q) as Record<string, unknown>[];
  return rows.map((r) => ({
    ...releaseFromRow(r),
    datasetSlug: String(r.dataset_slug),
    datasetTitle: String(r.dataset_title),
    level: r.level as SensitivityLevel,
    publisherId: Number(r.publisher_id),
  }));
}
