import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import type { ImportAction } from '../db/entities/index.ts';
import { recordAuditSql } from './audit.ts';
import { TransitionError, UnavailableError, ValidationError } from './errors.ts';
import { getImport, type ImportSummary } from './imports.ts';
import { countManagerPass, setManagersBatch } from './import-commit-managers.ts';
import { type InvitationDeps } from './invitations.ts';
import { getOrgSettings } from './org-settings.ts';
import { exceedsMassDisable, MassDisableError, massDisableText, type MassDisableNumbers } from './mass-disable.ts';
import type { Scope } from './scope.ts';
import { applyBatch, type GroupCache, type Outcome, type StoredRow } from './import-apply.ts';

/**
 * Committing an import: the selected preview rows, in batches, in row order,
 * each batch one transaction that applies its rows AND moves the import's
 * high-water mark (`applied_through`) past them, so after a crash exactly the
 * committed batches read as applied and a second commit call resumes with the
 * rest. Rows that failed, or went through the per-row path, also get an
 * explicit `outcome`; the bulk path's rows need none (see import-rows.ts
 * rowOutcomeSql). A committed import is refused: never applied twice.
 */

/** Rows per batch on the per-row path (invitations, updates, disables, seat-limited orgs). */
export const DEFAULT_BATCH_SIZE = 500;
/** Rows per batch when the whole batch is new people written by createUsersBulk (measured: bench/csv-import.ts). */
export const BULK_BATCH_SIZE = 5000;

export interface CommitRequest {
  rows: 'all' | number[];
  force?: boolean | undefined;
}

export interface CommitHooks {
  batchSize?: number;
  onProgress?: (summary: ImportSummary) => void;
  /** Tests: called after batch n (1-based, the manager pass's batches numbered on from the rows') committed; throwing simulates a crash between batches. */
  afterBatch?: (n: number) => void | Promise<void>;
  /** The server shutting down: the commit stops before its next batch (UnavailableError, resumable). */
  signal?: AbortSignal;
}

export interface CommitDeps extends InvitationDeps {
  now: () => Date;
}

/** Preview rows a commit applies: an action, and no problem found at preview (import-rows.ts rowOutcomeSql reads outcomes with the same test). */
const committable = `action in ('create', 'update', 'disable') and jsonb_array_length(errors) = 0`;

/** The file's Manager header, as the notes name it. */
const managerHeaderSql = `columns -> 'recognised' ->> 'manager' as manager_header`;
const managerColumnOf = (lock: Record<string, unknown>): string => (lock.manager_header as string | null) ?? 'Manager';

/** Selects the rows and moves the import to `committing` (or finds it there: resume). */
async function begin(em: Em, scope: Scope, id: string, request: CommitRequest): Promise<void> {
  await em.transactional(async (tx) => {
    const rows = await tx.execute('select status, needs_force, disable_count, enabled_count from csv_imports where org_id = ? and id = ? for update', [scope.orgId, id]);
    const row = rows[0];
    if (!row) return;
    if (row.status === 'committed') throw new TransitionError('This import was already committed; it is never applied twice. Upload the file again for a new preview', { status: 'committed' });
    if (row.status === 'committing') return; // resume the stored selection
    if (request.rows === 'all' && row.needs_force && !request.force) {
      throw massDisableRefusal({ disable: Number(row.disable_count), enabled: Number(row.enabled_count), threshold: (await getOrgSettings(tx, scope)).massDisableThreshold });
    }
    const params: unknown[] = [id];
    let where = '';
    if (request.rows !== 'all') {
      const wanted = [...new Set(request.rows)];
      if (!wanted.length) throw ValidationError.field('rows', 'must name at least one row, or be "all"');
      const known = new Set((await tx.execute(`select row_number from csv_import_rows where import_id = ? and row_number = any(?::int[])`, [id, `{${wanted.join(',')}}`])).map((r) => Number(r.row_number)));
      const missing = wanted.filter((n) => !known.has(n));
      if (missing.length) throw ValidationError.field('rows', `no row ${missing.slice(0, 10).join(', ')} in this import`);
      where = ' and row_number = any(?::int[])';
      params.push(`{${wanted.join(',')}}`);
    }
    // `all` marks nothing: the rows a commit takes are then those the preview made actionable
    // (committable below); only an explicit list is written to the rows.
    const selected = where
      ? (await tx.execute(`update csv_import_rows set selected = true where import_id = ? and ${committable}${where} returning row_number`, params)).length
      : Number((await tx.execute(`select count(*)::int as n from csv_import_rows where import_id = ? and ${committable}`, params))[0]!.n);
    // Chosen rows disable only the chosen ones: the guard weighs those, and the import keeps the numbers the commit
    // was weighed by (what import.committed reports as forced), not the whole preview's.
    if (where) await guardChosenRows(tx, scope, id, Number(row.enabled_count), Boolean(request.force));
    await tx.execute(`update csv_imports set status = 'committing', selection = ?::jsonb, total = ?, processed = 0, applied_through = 0, managers_through = 0, version = version + 1, updated_at = now() where id = ?`, [
      request.rows === 'all' ? null : JSON.stringify(request.rows), selected, id,
    ]);
  });
}

function massDisableRefusal(numbers: MassDisableNumbers): MassDisableError {
  return new MassDisableError(`This import would disable ${massDisableText(numbers.disable, numbers.enabled, numbers.threshold)}; review the preview, then commit with "force": true`, numbers);
}

/** The mass-disable guard over the rows just selected: the people they disable (the preview's rule, imports.ts). */
async function guardChosenRows(tx: Em, scope: Scope, id: string, enabled: number, force: boolean): Promise<void> {
  const [counted] = await tx.execute(
    `select count(*)::int as n from csv_import_rows where import_id = ? and selected and (action = 'disable' or changes->'status'->>'to' = 'disabled')`,
    [id],
  );
  const numbers = { disable: Number(counted!.n), enabled, threshold: (await getOrgSettings(tx, scope)).massDisableThreshold };
  const needsForce = exceedsMassDisable(numbers);
  if (needsForce && !force) throw massDisableRefusal(numbers);
  await tx.execute('update csv_imports set disable_count = ?, needs_force = ? where id = ?', [numbers.disable, needsForce, id]);
}

/** Commits (or resumes) an import. Returns the final summary. */
export async function commitImport(fork: () => Em, adminScope: Scope, deps: CommitDeps, id: string, request: CommitRequest, hooks: CommitHooks = {}): Promise<ImportSummary> {
  // Every change of the commit is a `csv` one, made by the admin who committed it (issue 8's event source).
  const scope: Scope = { ...adminScope, source: 'csv' };
  await getImport(fork(), scope, id);
  await begin(fork(), scope, id, request);
  const summary = await getImport(fork(), scope, id);
  let batch = 0;
  for (;;) {
    if (hooks.signal?.aborted) throw await stoppedByShutdown(fork(), scope, id);
    // Groups are looked up once per batch, in its transaction (one deleted since the last batch is not reused).
    const groupIds: GroupCache = new Map();
    const em = fork();
    const done = await em.transactional(async (tx) => {
      // The lock serialises concurrent commit calls: a row is applied by exactly one of them,
      // and each batch starts after the last committed one (keyset on row_number).
      const lock = await tx.execute(`select status, options, applied_through, selection is not null as picked, ${managerHeaderSql} from csv_imports where id = ? and org_id = ? for update`, [id, scope.orgId]);
      if (lock[0]?.status !== 'committing') return true;
      const options = (typeof lock[0].options === 'string' ? JSON.parse(lock[0].options) : lock[0].options) as { noInvite?: boolean; createGroups?: boolean };
      const noInvite = Boolean(options.noInvite);
      const settings = await getOrgSettings(tx, scope);
      const bulk = noInvite && settings.seatLimit === null;
      const inviteBulk = !noInvite && settings.seatLimit === null;
      const raw = await tx.execute(
        `select row_number, action, user_id, label, data from csv_import_rows
         where import_id = ? and row_number > ? and outcome is null and ${committable}${lock[0].picked ? ' and selected' : ''} order by row_number limit ?`,
        [id, Number(lock[0].applied_through), hooks.batchSize ?? (bulk ? BULK_BATCH_SIZE : DEFAULT_BATCH_SIZE)],
      );
      if (!raw.length) return true;
      let rows: StoredRow[] = raw.map((r) => ({
        rowNumber: Number(r.row_number), action: r.action as ImportAction, userId: (r.user_id as string | null) ?? null, label: (r.label as string | null) ?? null,
        data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as StoredRow['data'],
      }));
      // Rows the bulk path cannot take go one by one: such a batch keeps the per-row size.
      if (!hooks.batchSize && rows.length > DEFAULT_BATCH_SIZE && rows.some((r) => r.action !== 'create' || !r.data.newUserId)) rows = rows.slice(0, DEFAULT_BATCH_SIZE);
      const outcomes = await applyBatch(tx, scope, deps, rows, { noInvite, bulk, inviteBulk, managerColumn: managerColumnOf(lock[0]), withManagers: lock[0].manager_header != null }, groupIds);
      await recordOutcomes(tx, id, rows[rows.length - 1]!.rowNumber, outcomes);
      return false;
    });
    if (done) break;
    batch++;
    hooks.onProgress?.(await getImport(fork(), scope, id));
    await hooks.afterBatch?.(batch);
  }
  // The last pass: the Manager column's managers, once everyone the file creates exists (import-commit-managers.ts).
  await fork().transactional((tx) => countManagerPass(tx, id));
  for (;;) {
    if (hooks.signal?.aborted) throw await stoppedByShutdown(fork(), scope, id);
    const more = await fork().transactional(async (tx) => {
      const lock = await tx.execute(`select status, managers_through, ${managerHeaderSql} from csv_imports where id = ? and org_id = ? for update`, [id, scope.orgId]);
      if (lock[0]?.status !== 'committing') return false;
      return setManagersBatch(tx, scope, id, Number(lock[0].managers_through), managerColumnOf(lock[0]), hooks.batchSize ?? DEFAULT_BATCH_SIZE);
    });
    if (!more) break;
    batch++;
    hooks.onProgress?.(await getImport(fork(), scope, id));
    await hooks.afterBatch?.(batch);
  }
  await fork().transactional(async (tx) => {
    const rows = await tx.execute(
      `update csv_imports set status = 'committed', committed_at = now(), version = version + 1, updated_at = now() where id = ? and org_id = ? and status = 'committing'
       returning progress, total, processed, mode, file_name, options, selection is null as all_rows, needs_force, disable_count, enabled_count`,
      [id, scope.orgId],
    );
    const row = rows[0];
    if (!row) return;
    const options = (typeof row.options === 'string' ? JSON.parse(row.options) : row.options) as Record<string, unknown>;
    // An import that needed force reached `committing` only with it: the guard was overridden, which the trail must say.
    const forced = Boolean(row.needs_force);
    await recordAuditSql(tx, scope, {
      action: 'import.committed',
      target: { type: 'import', id, label: (row.file_name as string | null) ?? summary.mode },
      details: {
        mode: row.mode, total: Number(row.total), processed: Number(row.processed), progress: row.progress,
        selection: row.all_rows ? 'all' : 'chosen',
        options: { noInvite: Boolean(options.noInvite), createGroups: Boolean(options.createGroups), exceptScim: Boolean(options.exceptScim) },
        forced,
        ...(forced ? { massDisable: { disable: Number(row.disable_count), enabled: Number(row.enabled_count), threshold: (await getOrgSettings(tx, scope)).massDisableThreshold } } : {}),
      },
    });
  });
  return getImport(fork(), scope, id);
}

/** The commit stopped between two batches because the server is shutting down: the import stays `committing`, resumable. */
async function stoppedByShutdown(em: Em, scope: Scope, id: string): Promise<UnavailableError> {
  const { progress } = await getImport(em, scope, id);
  return new UnavailableError(
    `The server is shutting down: the commit stopped after ${progress.processed} of ${progress.total} rows, each batch applied whole; `
      + `send POST /api/orgs/${scope.orgSlug}/imports/${id}/commit again to resume with the rest`,
    { reason: 'shutting_down', importId: id, processed: progress.processed, total: progress.total },
  );
}

/**
 * The batch's bookkeeping, in its transaction: the high-water mark and the
 * progress counters (one update of the import), plus an explicit outcome for
 * the rows the mark alone does not describe (failures, per-row applies, bulk rows
 * created with their manager): a row whose manager it decided is marked `done`
 * for the last pass, with its note.
 */
async function recordOutcomes(tx: Em, id: string, lastRow: number, outcomes: Outcome[]): Promise<void> {
  const explicit = outcomes.filter((o) => !o.bulk || o.manager);
  if (explicit.length) {
    await executeBound(
      tx,
      `update csv_import_rows r set outcome = v.outcome, user_id = coalesce(v.user_id, r.user_id), errors = case when v.error is null then r.errors else r.errors || jsonb_build_array(v.error) end,
         notes = case when v.note is null then r.notes else r.notes || jsonb_build_array(v.note) end,
         data = case when v.manager then jsonb_set(r.data, '{manager,done}', 'true') else r.data end
       from unnest(?::int[], ?::text[], ?::uuid[], ?::jsonb[], ?::jsonb[], ?::boolean[]) as v(n, outcome, user_id, error, note, manager) where r.import_id = ? and r.row_number = v.n`,
      [
        pgArray(explicit.map((o) => o.rowNumber)), pgArray(explicit.map((o) => (o.ok ? 'applied' : 'failed'))),
        pgArray(explicit.map((o) => (o.ok ? (o.userId ?? null) : null))), pgArray(explicit.map((o) => (o.error ? JSON.stringify(o.error) : null))),
        pgArray(explicit.map((o) => (o.manager?.note ? JSON.stringify(o.manager.note) : null))), pgArray(explicit.map((o) => o.manager !== undefined)), id,
      ],
    );
  }
  const counts: Record<string, number> = { applied: 0, failed: 0 };
  for (const o of outcomes) {
    if (!o.ok) counts.failed!++;
    else {
      counts.applied!++;
      counts[o.action] = (counts[o.action] ?? 0) + 1;
    }
  }
  // The managers the row pass set count with the last pass's (progress.manager).
  if (outcomes.some((o) => o.manager)) counts.manager = outcomes.filter((o) => o.manager?.managerId).length;
  const sets = Object.keys(counts).map((k) => `'${k}', coalesce((progress ->> '${k}')::int, 0) + ?`);
  await tx.execute(`update csv_imports set processed = processed + ?, applied_through = ?, progress = progress || jsonb_build_object(${sets.join(', ')}), updated_at = now() where id = ?`, [
    outcomes.length, lastRow, ...Object.values(counts), id,
  ]);
}
