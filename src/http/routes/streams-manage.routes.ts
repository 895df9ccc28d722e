import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { personOf } from '../../auth/actor';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import { defaultGatePolicy } from '../../publishing/gate-policy';
import type { StreamIngest } from '../../streams/ingest.service';
import {
  aggregateLabels,
  definitionFromForm,
  displayedMeasureRows,
  formChoices,
  intervalLabels,
  issueFromMessage,
  measureField,
  measureParts,
  newStreamForm,
  rollupFormFromBody,
  rollupFormFromPolicy,
  rollupFromForm,
  sortIssues,
  spatialLabels,
  streamFormFromBody,
  type FormIssue,
  type RollupForm,
  type StreamForm,
} from '../../streams/stream-form';
import type { DeviceRecord, StreamRecord } from '../../streams/stream.repository';
import {
  addDevice,
  approveRollupPolicy,
  createStream,
  devicesFor,
  hasStandingApproval,
  publishersForNewStream,
  revokeDeviceCredential,
  streamFor,
  streamsFor,
  updateRollupPolicy,
} from '../../streams/stream.service';
import { sortedIntervals, streamLevels } from '../../streams/stream.schemas';
import { approveBody, deviceBody, policyFormVersion, policyQuery, revokeBody } from '../schemas/stream-manage.schemas';
import { actionContext, requireSignedIn } from '../middleware/auth.middleware';
import { page } from '../page';
import { parseInput } from '../validate';

/**
 * Stewards' side of streams: `/manage/streams` pages (list; define a stream; a stream with its
 * policy, standing approval and devices; change the rollup policy; approve; add and revoke
 * devices) and the same under `/api/v1/manage/streams`. The forms go through the pure converter
 * (src/streams/stream-form.ts), which validates with the API's schemas, then the same services.
 */

/** What the stream form templates need besides the form: labels, choices and field ids. */
const formHelpers = { intervalLabels, aggregateLabels, spatialLabels, choices: formChoices, measureField, measureParts };
const householdFloor = defaultGatePolicy.personal.householdMinGroup;

const slugParam = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).max(100);

/** A stream as JSON for stewards. */
export function streamJson(s: StreamRecord) {
  return {
    slug: s.slug,
    title: s.title,
    level: s.level,
    measures: s.measures,
    rollup: s.rollup,
    policy: { version: s.policyVersion, definedBy: s.policyBy, definedAt: s.policyAt },
    approval: s.level === 'personal' ? { standing: hasStandingApproval(s), by: s.approvedBy, at: s.approvedAt, policyVersion: s.approvedPolicyVersion } : null,
    closedUntil: new Date(s.closedUntil).toISOString(),
    blockedReason: s.blockedReason,
    dataset: `/datasets/${s.slug}`,
    ingest: `/api/v1/streams/${s.slug}/readings`,
    mqttTopic: `plaza/streams/${s.slug}/<device>`,
  };
}

/** A device as JSON for stewards (never its key). */
export function deviceJson(d: DeviceRecord) {
  return { key: d.key, label: d.label, lat: d.lat, lon: d.lon, ward: d.ward, createdBy: d.createdBy, createdAt: d.createdAt, revoked: d.revokedAt ? { at: d.revokedAt, by: d.revokedBy } : null };
}

/** The routes. */
export function streamsManageRouter(deps: { db: Db; config: Config; ingest: StreamIngest }): Router {
  const { db, config, ingest } = deps;
  const router = Router();
  router.use(['/manage/streams', '/manage/streams.json', '/api/v1/manage/streams'], requireSignedIn);
  const json = express.json({ limit: '256kb' });
  const ctx = (req: Request, res: Response) => actionContext(req, res, config);
  const slugOf = (req: Request) => {
    const r = slugParam.safeParse(req.params.slug);
    if (!r.success) throw new NotFoundError('Stream not found');
    return r.data;
  };

  page(router, '/manage/streams', async (req, res) => {
    const streams = await streamsFor(db, ctx(req, res));
    const canDefine = await publishersForNewStream(db, ctx(req, res)).then(() => true, (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)));
    return { view: 'streams/manage-list', title: 'Your sensor streams', locals: { streams, hasStandingApproval, canDefine }, json: { streams: streams.map(streamJson) } };
  });

  // ---- Define a stream (before /manage/streams/:slug, which would take "new" for a slug) ----

  const newTitle = 'Define a sensor stream';
  const newLocals = (publishers: Array<{ slug: string; name: string }>, form: StreamForm, errors: FormIssue[], addRow = false) => ({
    publishers,
    form,
    displayedRows: displayedMeasureRows(form.measures, addRow),
    errors,
    sf: formHelpers,
    householdFloor,
  });

  page(router, '/manage/streams/new', async (req, res) => {
    const publishers = await publishersForNewStream(db, ctx(req, res));
    return {
      view: 'streams/manage-new',
      title: newTitle,
      locals: newLocals(publishers, newStreamForm(publishers.map((p) => p.slug), config.releasePolicy), []),
      json: { publishers, levels: streamLevels, intervals: formChoices.intervals, aggregates: formChoices.aggregates, spatial: formChoices.spatial, api: '/api/v1/manage/streams' },
    };
  });

  router.post('/manage/streams', async (req, res) => {
    const c = ctx(req, res);
    const publishers = await publishersForNewStream(db, c);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = streamFormFromBody(body);
    if (body.addMeasure === 'yes') {
      // "Add another measure": the same form with one more row, nothing checked or saved yet.
      res.render('streams/manage-new', { title: newTitle, ...newLocals(publishers, form, [], true) });
      return;
    }
    const parsed = definitionFromForm(form, config.releasePolicy);
    let issues = parsed.ok ? [] : parsed.issues;
    if (form.publisher !== '' && !publishers.some((p) => p.slug === form.publisher) && !issues.some((i) => i.field === 'publisher')) {
      issues = sortIssues([...issues, { field: 'publisher', message: 'Choose one of the publishers you are a steward of' }]);
    }
    if (parsed.ok && !issues.length) {
      try {
        const s = await createStream(db, c, parsed.value, { gate: config.releasePolicy });
        res.redirect(303, `/manage/streams/${s.slug}`);
        return;
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
        issues = [issueFromMessage(err.message, 'slug')];
      }
    }
    res.status(400).render('streams/manage-new', { title: `Error: ${newTitle}`, ...newLocals(publishers, form, issues) });
  });

  // ---- Change a stream's rollup policy ----

  const policyTitle = (s: StreamRecord) => `Rollup policy: ${s.title}`;
  const policyLocals = (stream: StreamRecord, form: RollupForm, errors: FormIssue[]) => ({
    stream,
    form,
    errors,
    standing: hasStandingApproval(stream),
    finest: sortedIntervals(stream.rollup)[0],
    sf: formHelpers,
    householdFloor,
  });

  page(router, '/manage/streams/:slug/policy', async (req, res) => {
    const stream = await streamFor(db, ctx(req, res), slugOf(req), 'stream:manage');
    return { view: 'streams/manage-policy', title: policyTitle(stream), locals: policyLocals(stream, rollupFormFromPolicy(stream.rollup), []), json: { stream: streamJson(stream), api: `/api/v1/manage/streams/${stream.slug}/policy` } };
  });

  router.post('/manage/streams/:slug/policy', async (req, res) => {
    const c = ctx(req, res);
    const stream = await streamFor(db, c, slugOf(req), 'stream:manage');
    const body = (req.body ?? {}) as Record<string, unknown>;
    // The form always carries the version it was opened at: the service refuses an edit of an outdated one.
    const { policyVersion } = parseInput(policyFormVersion, body, 'body');
    const form = rollupFormFromBody(body);
    const parsed = rollupFromForm(form, stream.level, stream.measures, config.releasePolicy);
    let issues = parsed.ok ? [] : parsed.issues;
    if (parsed.ok) {
      try {
        const { changed } = await updateRollupPolicy(db, c, stream.slug, parsed.value, { gate: config.releasePolicy, policyVersion });
        if (changed) ingest.invalidate();
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
        issues = [issueFromMessage(err.message, 'intervals')];
      }
    }
    if (issues.length) {
      res.status(400).render('streams/manage-policy', { title: `Error: ${policyTitle(stream)}`, ...policyLocals(stream, form, issues) });
      return;
    }
    res.redirect(303, `/manage/streams/${stream.slug}`);
  });

  page(router, '/manage/streams/:slug', async (req, res) => {
    const { stream, devices } = await devicesFor(db, ctx(req, res), slugOf(req));
    return {
      view: 'streams/manage-stream',
      title: `Stream: ${stream.title}`,
      locals: { stream, devices, standing: hasStandingApproval(stream), me: personOf(ctx(req, res).actor) },
      json: { stream: streamJson(stream), devices: devices.map(deviceJson) },
    };
  });

  router.post('/manage/streams/:slug/approval', async (req, res) => {
    const body = parseInput(approveBody, req.body ?? {}, 'body');
    await approveRollupPolicy(db, ctx(req, res), slugOf(req), body.policyVersion);
    res.redirect(303, `/manage/streams/${slugOf(req)}`);
  });

  router.post('/manage/streams/:slug/devices', async (req, res) => {
    const body = parseInput(deviceBody, req.body ?? {}, 'body');
    const { device, credential } = await addDevice(db, ctx(req, res), config.secret, slugOf(req), body);
    ingest.invalidate(device.key);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).render('streams/device-created', { title: 'Device added', slug: slugOf(req), device, credential, baseUrl: config.baseUrl });
  });

  router.post('/manage/streams/:slug/devices/:key/revoke', async (req, res) => {
    const body = parseInput(revokeBody, req.body ?? {}, 'body');
    const d = await revokeDeviceCredential(db, ctx(req, res), slugOf(req), String(req.params.key), body.reason ?? '');
    ingest.invalidate(d.key);
    res.redirect(303, `/manage/streams/${slugOf(req)}`);
  });

  router.get('/api/v1/manage/streams', async (req, res) => {
    res.json({ streams: (await streamsFor(db, ctx(req, res))).map(streamJson) });
  });
  router.post('/api/v1/manage/streams', json, async (req, res) => {
    const s = await createStream(db, ctx(req, res), req.body, { gate: config.releasePolicy });
    res.status(201).json({ stream: streamJson(s) });
  });
  router.get('/api/v1/manage/streams/:slug', async (req, res) => {
    const { stream, devices } = await devicesFor(db, ctx(req, res), slugOf(req));
    res.json({ stream: streamJson(stream), devices: devices.map(deviceJson) });
  });
  router.put('/api/v1/manage/streams/:slug/policy', json, async (req, res) => {
    const { policyVersion } = parseInput(policyQuery, req.query);
    const { stream, changed } = await updateRollupPolicy(db, ctx(req, res), slugOf(req), req.body, { gate: config.releasePolicy, policyVersion });
    if (changed) ingest.invalidate();
    res.json({ stream: streamJson(stream), changed });
  });
  router.post('/api/v1/manage/streams/:slug/approval', json, async (req, res) => {
    const body = parseInput(approveBody, req.body ?? {}, 'body');
    const s = await approveRollupPolicy(db, ctx(req, res), slugOf(req), body.policyVersion);
    ingest.invalidate();
    res.json({ stream: streamJson(s) });
  });
  router.post('/api/v1/manage/streams/:slug/devices', json, async (req, res) => {
    const body = parseInput(deviceBody, req.body ?? {}, 'body');
    const { device, credential } = await addDevice(db, ctx(req, res), config.secret, slugOf(req), body);
    ingest.invalidate(device.key);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ device: deviceJson(device), credential, note: 'The credential is shown only now. Store it on the device.' });
  });
  router.delete('/api/v1/manage/streams/:slug/devices/:key', json, async (req, res) => {
    const body = parseInput(revokeBody, req.body ?? {}, 'body');
    const d = await revokeDeviceCredential(db, ctx(req, res), slugOf(req), String(req.params.key), body.reason ?? '');
    ingest.invalidate(d.key);
    res.json({ device: deviceJson(d) });
  });
  return router;
}
