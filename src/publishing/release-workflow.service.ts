import crypto from 'node:crypto';
import { personOf, type Actor } from '../auth/actor';
import { can } from '../auth/policy';
import { appendAudit } from '../audit/audit.repository';
import { lockDataset, type DatasetRecord } from '../catalogue/dataset.repository';
import type { ColumnSchema, SensitivityLevel } from '../catalogue/table-schema';
import { iterateRows } from '../db/data-table';
import type { Db, DbOrTrx } from '../db/knex';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { latestSource, getSourceVersion, type SourceRecord } from '../ingest/source.repository';
import { parsePolicy, PolicyError, remainingEpsilon, type Policy } from '../privacy';
import { evaluateGate, needsSecondSteward, overridableChecks, type GateEvidence, type GateVerdict } from './gate';
import { defaultGatePolicy, type GatePolicy } from './gate-policy';
import { runPolicyInline, runPolicyJob, type JobProgress, type PolicyJobResult } from './policy-job';
import { publishRelease, type PublishInput, type PublishedRelease } from './publish.service';
import { publicProtection } from './public-protection';
import { engineColumns, releaseSettingsSchema, type ReleaseSettings } from './release-evidence';
import {
  getPolicyVersion,
  insertDraftRelease,
  insertPolicyVersion,
  openRelease,
  privacyLedger,
  updateWorkflowRelease,
  type StoredPreview,
  type WorkflowRelease,
} from './release-workflow.repository';
import { approvalHash, nextState, TransitionError, type ReleaseAction, type ReleaseState } from './workflow';

/**
 * The release workflow (DESIGN.md §3, issue 6): a steward saves a release policy (versioned), runs
 * a preview (in a worker thread), submits; a second steward approves; anyone allowed publishes.
 * The publication gate runs on submit, on approve and on publish; the approval is bound to a hash
 * of (source version, policy, seed) and publishing refuses when any of them changed. Every state
 * change is audited in the same transaction.
 */

/** Rows of the output shown in a preview. */
export const PREVIEW_ROWS = 100;

/** What the workflow needs besides the database. */
export interface WorkflowContext {
  db: Db;
  /** Where source rows are read while a publish transaction holds the write lock (a second SQLite connection; the pool on PostgreSQL). */
  reader?: DbOrTrx;
  gatePolicy?: GatePolicy;
  /** The deployment secret: pseudonymisation keys are derived from it. */
  secret: string;
  /** Run policies in the calling thread instead of a worker (the demo seed). */
  inline?: boolean;
}

/** Pseudonymisation keys available to policies (`"secret": "pseudonym_key"`), derived from the deployment secret. */
export function policySecrets(secret: string): Record<string, string> {
  return { pseudonym_key: crypto.createHmac('sha256', secret).update('plaza:pseudonym_key').digest('base64url') };
}

function policyOrError(json: unknown): Policy {
  try {
    return parsePolicy(json);
  } catch (err) {
    if (err instanceof PolicyError) throw new ValidationError(err.message);
    throw err;
  }
}

/** Release settings as given (the policy editor, the API, the CLI), checked against the one schema; a 400 names every bad field. */
export function parseReleaseSettings(input: unknown): ReleaseSettings {
  if (input === undefined || input === null) return {};
  const r = releaseSettingsSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ parameter: ['settings', ...i.path.map(String)].join('.'), problem: i.message }));
  throw new ValidationError(`The release settings are not valid: ${problems.map((x) => `${x.parameter}: ${x.problem}`).join('; ')}`, { parameter: problems[0].parameter, problems });
}

function move(state: ReleaseState | 'publishing', action: ReleaseAction, reason?: string): ReleaseState {
  if (state === 'publishing') throw new ConflictError('This release is being published');
  try {
    return nextState(state, action, reason);
  } catch (err) {
    if (err instanceof TransitionError) throw new ConflictError(err.message);
    throw err;
  }
}

/** Checks a policy against a source's columns: every column a step names exists (before it is dropped). */
export function checkPolicyColumns(policy: Policy, columns: ColumnSchema[]): void {
  const have = new Set(columns.map((c) => c.name));
  const named = (s: Policy['steps'][number]): string[] => {
    switch (s.op) {
      case 'drop':
      case 'pseudonymise':
        return s.columns;
      case 'generalise':
        return [s.column];
      case 'k-anonymity':
        return [...s.quasiIdentifiers.map((q) => q.column), ...s.criteria.map((c) => c.column)];
      case 'mondrian':
        return [...s.quasiIdentifiers, ...s.criteria.map((c) => c.column)];
      case 'aggregate':
        return [...s.groupBy, ...s.measures.flatMap((m) => (m.column ? [m.column] : []))];
      case 'protect-table':
        return [...s.dimensions, ...(s.measure ? [s.measure] : [])];
      case 'dp-counts':
        return s.dimensions;
      case 'dp-sum':
        return [s.column];
    }
  };
  policy.steps.forEach((s, i) => {
    for (const c of named(s)) {
      if (!have.has(c)) throw new ValidationError(`Step ${i + 1} (${s.op}) names column "${c}", which the source does not have at that point`, { parameter: `steps.${i}` });
    }
    if (s.op === 'drop') s.columns.forEach((c) => have.delete(c));
  });
}

/** The dataset's current source, or a clear error when it has none to publish from. */
async function currentSource(db: DbOrTrx, dataset: DatasetRecord): Promise<SourceRecord> {
  const source = await latestSource(db, dataset.id);
  if (!source || source.purgedAt) throw new ConflictError(`Dataset "${dataset.slug}" has no source data yet: upload a file first`);
  return source;
}

/** Saves a new version of the dataset's release policy and puts the open release back to draft. */
export async function saveReleasePolicy(
  ctx: WorkflowContext,
  p: { dataset: DatasetRecord; policy: unknown; settings?: unknown; note?: string; actor: Actor; requestId?: string },
): Promise<{ policyVersion: number; release: WorkflowRelease }> {
  const policy = policyOrError(p.policy);
  const settings = parseReleaseSettings(p.settings);
  return ctx.db.transaction(async (trx) => {
    await lockDataset(trx, p.dataset.id);
    const source = await currentSource(trx, p.dataset);
    checkPolicyColumns(policy, source.columns);
    if (settings.household && !source.columns.some((c) => c.name === settings.household!.timeColumn)) {
      throw new ValidationError(`Household setting names time column "${settings.household.timeColumn}", which the source does not have`, { parameter: 'settings.household.timeColumn' });
    }
    const policyVersion = await insertPolicyVersion(trx, { datasetId: p.dataset.id, policy, settings, note: p.note ?? '', createdBy: personOf(p.actor) });
    let release = await openRelease(trx, p.dataset.id);
    if (!release) {
      const id = await insertDraftRelease(trx, { datasetId: p.dataset.id, sourceId: source.id, sourceVersion: source.version, policyVersion, policy, createdBy: personOf(p.actor) });
      await appendAudit(trx, { actor: p.actor.id, action: 'release.created', objectType: 'release', objectId: id, requestId: p.requestId, details: { dataset: p.dataset.slug, policyVersion } });
    } else {
      const state = release.state === 'draft' ? 'draft' : move(release.state, 'revise');
      await updateWorkflowRelease(trx, release.id, {
        state, policyVersion, policy, sourceId: source.id, sourceVersion: source.version, preview: null, gate: null,
        submittedBy: null, submittedAt: null, approvedBy: null, approvedAt: null, approvalHash: null,
      });
    }
    release = (await openRelease(trx, p.dataset.id))!;
    await appendAudit(trx, {
      actor: p.actor.id, action: 'policy.updated', objectType: 'dataset', objectId: p.dataset.id, requestId: p.requestId,
      details: { dataset: p.dataset.slug, policyVersion, releaseId: release.id, steps: policy.steps.map((s) => s.op) },
    });
    return { policyVersion, release };
  });
}

/** The inputs a release is built from: its source version and policy version, loaded. */
async function releaseInputs(db: DbOrTrx, dataset: DatasetRecord, release: WorkflowRelease) {
  if (release.policyVersion === null || release.sourceVersion === null) throw new ConflictError('This release has no policy yet');
  const pv = await getPolicyVersion(db, dataset.id, release.policyVersion);
  const source = await getSourceVersion(db, dataset.id, release.sourceVersion);
  if (!pv || !source) throw new ConflictError('The release refers to a policy or source version that no longer exists');
  if (source.purgedAt) throw new ConflictError(`Source version ${source.version} was purged; import the data again`);
  const policy = policyOrError(pv.policy);
  return { policy, settings: pv.settings, source, hash: approvalHash({ sourceId: source.id, sourceVersion: source.version, policy, seed: policy.seed }) };
}

/** Runs the release's policy over its source in a worker. */
async function runRelease(
  ctx: WorkflowContext,
  dataset: DatasetRecord,
  release: WorkflowRelease,
  inputs: Awaited<ReturnType<typeof releaseInputs>>,
  allRows: boolean,
  onProgress?: (p: JobProgress) => void,
): Promise<PolicyJobResult> {
  const { source, policy, settings } = inputs;
  const detectedDirect = (source.detection?.columns ?? []).filter((c) => c.suggestedRole === 'direct_identifier').map((c) => c.name);
  // What the dataset's earlier releases spent of its ε budget: the gate checks this release's ε against the rest.
  const ledger = await privacyLedger(ctx.db, dataset.id, (ctx.gatePolicy ?? defaultGatePolicy).specialCategory.epsilonBudget);
  const job = {
    policy, columns: engineColumns(source.columns), secrets: policySecrets(ctx.secret), releaseId: `${dataset.slug}:${release.id}`,
    level: dataset.sensitivityLevel, detectedDirect, settings, budget: null, budgetRemaining: remainingEpsilon(ledger), previewRows: PREVIEW_ROWS, allRows,
  };
  const batches = iterateRows(ctx.reader ?? ctx.db, source.tableName, source.columns, 5000);
  return ctx.inline ? runPolicyInline(job, batches) : runPolicyJob(job, batches, source.rowCount, onProgress);
}

/** The gate's verdict for a release: with the four-eyes check once there is (or should be) an approver, without it before approval ('not-yet'). */
export function verdictFor(
  evidence: GateEvidence,
  gatePolicy: GatePolicy,
  release: Pick<WorkflowRelease, 'submittedBy' | 'overrides'>,
  approver: string | null | 'not-yet',
): GateVerdict {
  const withApprovals: GateEvidence = { ...evidence, approvals: { submitter: release.submittedBy ?? '', approver: approver === 'not-yet' ? null : approver } };
  return evaluateGate(withApprovals, gatePolicy, release.overrides, { approval: approver === 'not-yet' ? 'not-yet' : 'required' });
}

/** Whether a person may approve a release of this level: anyone but its submitter where the gate needs a second steward. */
export function mayApprove(level: SensitivityLevel, release: Pick<WorkflowRelease, 'submittedBy'>, person: string): boolean {
  return release.submittedBy !== person || !needsSecondSteward(level);
}

function refusal(verb: string, v: GateVerdict): ValidationError {
  const failing = v.checks.filter((c) => !c.passed);
  return new ValidationError(`The publication gate refuses to ${verb} this release: ${failing.map((c) => `${c.id}: ${c.reason}`).join(' ')}`, {
    checks: failing.map((c) => ({ id: c.id, reason: c.reason })),
  });
}

/** Runs a preview of the open release on the current source version and stores it on the release. */
export async function previewRelease(
  ctx: WorkflowContext,
  p: { dataset: DatasetRecord; actor: Actor; onProgress?: (p: JobProgress) => void },
): Promise<StoredPreview> {
  let release = await openRelease(ctx.db, p.dataset.id);
  if (!release) throw new ConflictError('Save a release policy before previewing');
  if (release.state === 'draft') {
    const source = await currentSource(ctx.db, p.dataset);
    if (source.version !== release.sourceVersion) {
      await updateWorkflowRelease(ctx.db, release.id, { sourceId: source.id, sourceVersion: source.version, preview: null }, 'draft');
      release = (await openRelease(ctx.db, p.dataset.id))!;
    }
  }
  const inputs = await releaseInputs(ctx.db, p.dataset, release);
  const started = Date.now();
  const result = await runRelease(ctx, p.dataset, release, inputs, false, p.onProgress);
  const gatePolicy = ctx.gatePolicy ?? defaultGatePolicy;
  const verdict = verdictFor(result.evidence, gatePolicy, release, release.approvedBy ?? 'not-yet');
  const preview: StoredPreview = {
    sourceVersion: inputs.source.version,
    policyVersion: release.policyVersion!,
    inputsHash: inputs.hash,
    ranAt: new Date().toISOString(),
    ranBy: personOf(p.actor),
    durationMs: Date.now() - started,
    columns: result.columns,
    rowCount: result.rowCount,
    firstRows: result.firstRows,
    report: result.report,
    statement: result.statement,
    evidence: result.evidence,
    verdict,
  };
  // Stored only if the release still has the same inputs (a policy saved meanwhile wins).
  const fresh = await openRelease(ctx.db, p.dataset.id);
  if (fresh && fresh.id === release.id && fresh.policyVersion === release.policyVersion && fresh.sourceVersion === inputs.source.version) {
    await updateWorkflowRelease(ctx.db, release.id, { preview, gate: verdict });
  }
  return preview;
}

async function lockedOpenRelease(trx: DbOrTrx, dataset: DatasetRecord): Promise<WorkflowRelease> {
  await lockDataset(trx, dataset.id);
  const release = await openRelease(trx, dataset.id);
  if (!release) throw new NotFoundError('This dataset has no release in progress');
  return release;
}

/** A stored preview that matches the release's current inputs, or a clear error. */
function currentPreview(release: WorkflowRelease, hash: string): StoredPreview & { evidence: GateEvidence } {
  const p = release.preview;
  if (!p || p.inputsHash !== hash) throw new ConflictError('Run a preview of the current policy and source version first');
  return p as StoredPreview & { evidence: GateEvidence };
}

/** Submits the draft for review: the gate (all checks but the second steward's) must pass on its preview. */
export async function submitRelease(ctx: WorkflowContext, p: { dataset: DatasetRecord; actor: Actor; notes?: string; requestId?: string }): Promise<WorkflowRelease> {
  return ctx.db.transaction(async (trx) => {
    const release = await lockedOpenRelease(trx, p.dataset);
    const state = move(release.state, 'submit');
    const inputs = await releaseInputs(trx, p.dataset, release);
    const latest = await currentSource(trx, p.dataset);
    if (latest.version !== inputs.source.version) throw new ConflictError(`Source version ${latest.version} was imported after the preview; run the preview again`);
    const preview = currentPreview(release, inputs.hash);
    const verdict = verdictFor(preview.evidence, ctx.gatePolicy ?? defaultGatePolicy, { ...release, submittedBy: personOf(p.actor) }, 'not-yet');
    if (!verdict.allowed) throw refusal('submit', verdict);
    await updateWorkflowRelease(trx, release.id, {
      state, submittedBy: personOf(p.actor), submittedAt: new Date().toISOString(), rejectedReason: null, gate: verdict,
      ...(p.notes !== undefined ? { notes: p.notes } : {}),
    });
    await appendAudit(trx, {
      actor: p.actor.id, action: 'release.submitted', objectType: 'release', objectId: release.id, requestId: p.requestId,
      details: { dataset: p.dataset.slug, sourceVersion: inputs.source.version, policyVersion: release.policyVersion, hash: inputs.hash },
    });
    return (await openRelease(trx, p.dataset.id))!;
  });
}

/** Approves a release in review: a second steward for personal and special category data; the gate must pass. */
export async function approveRelease(ctx: WorkflowContext, p: { dataset: DatasetRecord; actor: Actor; requestId?: string }): Promise<WorkflowRelease> {
  return ctx.db.transaction(async (trx) => {
    const release = await lockedOpenRelease(trx, p.dataset);
    const state = move(release.state, 'approve');
    const approver = personOf(p.actor);
    if (!mayApprove(p.dataset.sensitivityLevel, release, approver)) throw new ForbiddenError('You submitted this release; a second steward must approve it');
    const inputs = await releaseInputs(trx, p.dataset, release);
    const preview = currentPreview(release, inputs.hash);
    const verdict = verdictFor(preview.evidence, ctx.gatePolicy ?? defaultGatePolicy, release, approver);
    if (!verdict.allowed) throw refusal('approve', verdict);
    await updateWorkflowRelease(trx, release.id, { state, approvedBy: approver, approvedAt: new Date().toISOString(), approvalHash: inputs.hash, gate: verdict });
    await appendAudit(trx, {
      actor: p.actor.id, action: 'release.approved', objectType: 'release', objectId: release.id, requestId: p.requestId,
      details: { dataset: p.dataset.slug, submittedBy: release.submittedBy, hash: inputs.hash },
    });
    return (await openRelease(trx, p.dataset.id))!;
  });
}

/** Sends a release in review back to draft with a reason the submitter sees. */
export async function rejectRelease(ctx: WorkflowContext, p: { dataset: DatasetRecord; actor: Actor; reason: string; requestId?: string }): Promise<WorkflowRelease> {
  return ctx.db.transaction(async (trx) => {
    const release = await lockedOpenRelease(trx, p.dataset);
    const state = move(release.state, 'reject', p.reason);
    await updateWorkflowRelease(trx, release.id, { state, rejectedReason: p.reason.trim(), submittedBy: null, submittedAt: null, approvedBy: null, approvedAt: null, approvalHash: null });
    await appendAudit(trx, {
      actor: p.actor.id, action: 'release.rejected', objectType: 'release', objectId: release.id, requestId: p.requestId,
      details: { dataset: p.dataset.slug, reason: p.reason.trim() },
    });
    return (await openRelease(trx, p.dataset.id))!;
  });
}

/** An admin's recorded override of one overridable failing check on the open release (audited as admin.override). */
export async function overrideCheck(ctx: WorkflowContext, p: { dataset: DatasetRecord; actor: Actor; check: string; reason: string; requestId?: string }): Promise<WorkflowRelease> {
  if (!can(p.actor, 'release:override', { type: 'dataset', publisherId: p.dataset.publisherId })) throw new ForbiddenError('Only an administrator can override a check of the publication gate');
  if (p.reason.trim().length < 20) throw new ValidationError('Give a reason of at least 20 characters for the override', { parameter: 'reason' });
  return ctx.db.transaction(async (trx) => {
    const release = await lockedOpenRelease(trx, p.dataset);
    if (!overridableChecks.has(p.check)) throw new ValidationError(`Check "${p.check}" cannot be overridden`, { parameter: 'check' });
    const overrides = [...release.overrides.filter((o) => o.check !== p.check), { check: p.check, admin: personOf(p.actor), reason: p.reason.trim(), at: new Date().toISOString() }];
    await updateWorkflowRelease(trx, release.id, { overrides });
    await appendAudit(trx, {
      actor: p.actor.id, action: 'admin.override', objectType: 'release', objectId: release.id, requestId: p.requestId,
      details: { dataset: p.dataset.slug, check: p.check, reason: p.reason.trim() },
    });
    return (await openRelease(trx, p.dataset.id))!;
  });
}

/**
 * Publishes the approved release: refuses when the source, the policy or the seed changed since
 * approval, re-runs the policy (deterministic), re-checks the gate on the exact output, and
 * publishes it atomically as version n+1.
 */
export async function publishApprovedRelease(
  ctx: WorkflowContext,
  p: { dataset: DatasetRecord; actor: Actor; requestId?: string; onProgress?: (p: JobProgress) => void; afterStep?: PublishInput['afterStep'] },
): Promise<PublishedRelease> {
  const release = await openRelease(ctx.db, p.dataset.id);
  if (!release) throw new NotFoundError('This dataset has no release in progress');
  move(release.state, 'publish');
  const inputs = await releaseInputs(ctx.db, p.dataset, release);
  const latest = await currentSource(ctx.db, p.dataset);
  if (latest.version !== inputs.source.version) {
    throw new ConflictError(`Not published: source version ${latest.version} was imported after this release was approved (it was approved for version ${inputs.source.version}); save the policy again, preview and resubmit`);
  }
  if (release.approvalHash !== inputs.hash) {
    throw new ConflictError('Not published: the source version, policy or seed changed after approval; the release must be reviewed again');
  }
  const result = await runRelease(ctx, p.dataset, release, inputs, true, p.onProgress);
  try {
    const gatePolicy = ctx.gatePolicy ?? defaultGatePolicy;
    const verdict = verdictFor(result.evidence, gatePolicy, release, release.approvedBy);
    if (!verdict.allowed) throw refusal('publish', verdict);
    const protection = publicProtection({ level: p.dataset.sensitivityLevel, policy: inputs.policy, report: result.report, evidence: result.evidence, verdict });
    const sourceTypes = new Map(engineColumns(inputs.source.columns).map((c, i) => [c.name, { engine: c.type, column: inputs.source.columns[i] }]));
    const columns: ColumnSchema[] = result.columns.map((c) => {
      const src = sourceTypes.get(c.name);
      // A column the policy left as it was keeps its stored type, description and unit; a rewritten one is text or a number.
      const same = src && src.engine === c.type;
      let type: ColumnSchema['type'] = same ? src.column.type : c.type === 'postcode' || c.type === 'coordinate' ? 'string' : c.type;
      // A hidden cell's marker (e.g. "[c]") makes a count column text.
      if (result.textColumns.includes(c.name)) type = 'string';
      return { name: c.name, type, ...(same && src.column.description ? { description: src.column.description } : {}), ...(same && src.column.unit ? { unit: src.column.unit } : {}) };
    });
    return await publishRelease(ctx.db, {
      datasetId: p.dataset.id,
      existingReleaseId: release.id,
      approvalHash: inputs.hash,
      columns,
      batches: result.rows!,
      actor: p.actor.id,
      requestId: p.requestId,
      sourceId: inputs.source.id,
      policy: inputs.policy,
      notes: release.notes,
      statement: result.statement,
      protection: { ...protection, gate: verdict.checks.map((c) => ({ id: c.id, passed: c.passed })) } as unknown as Record<string, unknown>,
      ...(p.afterStep ? { afterStep: p.afterStep } : {}),
    });
  } finally {
    result.close();
  }
}
