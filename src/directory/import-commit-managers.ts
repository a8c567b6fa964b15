import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import { auditInsertSql } from './audit.ts';
import { rowOutcomeSql, rowUserIdSql } from './import-rows.ts';
import type { RowProblem } from './imports.ts';
import type { ManagerData } from './import-managers.ts';
import type { Scope } from './scope.ts';

/**
 * The commit's Manager column. A row updating someone whose manager existed at preview (ManagerData
 * `id`) gets its manager in the row pass, with its other changes: one `user.updated` (rowManager); a
 * row creating someone whose manager existed creates them with it: one `user.created` (newPeopleManagers).
 * The others (a manager the same file creates, a new person's) are set by the last pass
 * (import-commit.ts), once every row is applied, so a manager the file creates exists by then. Like the rows, in
 * batches by row number after the import's mark `managers_through`; each batch is one
 * transaction that sets its managers (one statement, with one `user.updated` audit row each,
 * `changes.managerId` as an admin's PATCH writes it, which the change-feed trigger turns into
 * events), notes the rows whose manager is not set, counts the rest in the import's progress
 * (`manager`) and moves the mark past its rows: a commit stopped in this pass resumes after the
 * last batch it finished, and never sets a manager twice.
 */

const notSet = (column: string, message: string): RowProblem => ({ column, reason: 'manager_not_set', message: `${message}: the manager is not set` });

interface Person {
  id: string;
  managerId: string | null;
  state: string;
  source: string;
  orgRole: string;
}

type Refusal = 'org_admin_target' | 'deleted' | 'same' | 'scim' | 'self' | 'manager_gone';

const refusalText: Record<Exclude<Refusal, 'same'>, (label: string) => string> = {
  org_admin_target: () => 'only an org admin may change an org admin\'s account',
  deleted: () => 'this person was deleted since the preview',
  scim: () => 'this person\'s manager is managed by the identity provider (SCIM) since the preview',
  self: () => 'a person cannot be their own manager',
  manager_gone: (label) => `${label} was deleted since the preview`,
};

/**
 * Why the directory refuses to set `managerId` on `person` (updateProfile's rules, in its order: see
 * profileNext and saveUser), `same` when it is their manager already, or null: `managerState` is the
 * manager's state now (undefined: no such person in the org).
 */
function refusal(scope: Scope, person: Person | undefined, managerId: string, managerState: string | undefined): Refusal | null {
  if (!person) return 'deleted';
  if (scope.mayChangeOrgAdmins === false && person.orgRole === 'org_admin') return 'org_admin_target';
  if (person.state === 'deleted') return 'deleted';
  if (person.managerId === managerId) return 'same';
  if (person.source === 'scim') return 'scim';
  if (managerId === person.id) return 'self';
  if (managerState === undefined || managerState === 'deleted') return 'manager_gone';
  return null;
}

/** What the row pass does with an update row's manager: write `managerId`, or note why not (`note`); neither when already theirs. */
export interface RowManager {
  managerId?: string;
  note?: RowProblem;
}

/**
 * An update row's manager, by the last pass's rules (refusal), decided in the row pass over `person`
 * as it reads now: the change joins the row's profile change, a refusal becomes the row's note.
 * Undefined when the row names none, or one the same file creates: the last pass sets that one.
 */
export async function rowManager(tx: Em, scope: Scope, person: Person, manager: ManagerData | undefined, column: string): Promise<RowManager | undefined> {
  if (!manager?.id || manager.done) return undefined;
  const [found] = await executeBound(tx, 'select state from users where org_id = ? and id = ?', [scope.orgId, manager.id]);
  const why = refusal(scope, person, manager.id, found ? String(found.state) : undefined);
  if (why === null) return { managerId: manager.id };
  return why === 'same' ? {} : { note: notSet(column, refusalText[why](manager.label)) };
}

/**
 * The managers of a batch's create rows naming someone who existed at preview (ManagerData `id`), by the
 * last pass's rules (refusal, over a person just created), so the row creates its person with the manager
 * set: one `user.created` carrying it. ONE query for the batch. By row number: `{ managerId }` to write, or
 * `{ note }` (the manager deleted since the preview); rows naming none, or one the file creates, are left
 * to the last pass. Callers call it only for a file with a Manager column.
 */
export async function newPeopleManagers(tx: Em, scope: Scope, rows: Array<{ rowNumber: number; action: string; data: { manager?: ManagerData } }>, column: string): Promise<Map<number, RowManager>> {
  const named = rows.filter((r) => r.action === 'create' && r.data.manager?.id && !r.data.manager.done);
  const decided = new Map<number, RowManager>();
  if (!named.length) return decided;
  const alive = new Set((await executeBound(tx, `select id from users where org_id = ? and id = any(?::uuid[]) and state <> 'deleted'`,
    [scope.orgId, pgArray([...new Set(named.map((r) => r.data.manager!.id!))])])).map((r) => String(r.id)));
  // A person the row creates: no manager yet, not the IdP's, not an admin, not the manager (a fresh id).
  const created: Person = { id: '', managerId: null, state: 'active', source: 'csv', orgRole: 'member' };
  for (const r of named) {
    const manager = r.data.manager!;
    const why = refusal(scope, created, manager.id!, alive.has(manager.id!) ? 'active' : undefined);
    decided.set(r.rowNumber, why === null ? { managerId: manager.id! } : { note: notSet(column, refusalText[why as Exclude<Refusal, 'same'>](manager.label)) });
  }
  return decided;
}

/**
 * Before the last pass's first batch: how many applied rows it goes through (`progress.managerPassTotal`,
 * with `managerPassDone` moving up to it), so progress can show the pass as its own phase. Counted once:
 * a resumed pass keeps its numbers; a file leaving nothing to the pass gets none.
 */
export async function countManagerPass(tx: Em, id: string): Promise<void> {
  await tx.execute(
    `update csv_imports imp set progress = imp.progress || jsonb_build_object('managerPassTotal', c.n, 'managerPassDone', 0)
     from (select count(*)::int as n from csv_import_rows r join csv_imports i on i.id = r.import_id
           where r.import_id = ? and r.row_number > i.managers_through and r.data -> 'manager' is not null and r.data -> 'manager' -> 'done' is null
             and ${rowOutcomeSql} = 'applied') c
     where imp.id = ? and imp.status = 'committing' and c.n > 0 and imp.progress -> 'managerPassTotal' is null`,
    [id, id],
  );
}

/** One batch of the pass, in `tx` (the import locked, `committing`, its mark `through`): false once no row is left. */
export async function setManagersBatch(tx: Em, scope: Scope, id: string, through: number, column: string, batchSize: number): Promise<boolean> {
  // Rows marked done by the pass before it kept a mark (a commit resumed across an upgrade) are not set again.
  const raw = await tx.execute(
    `select x.row_number, x.data -> 'manager' ->> 'label' as label, (x.data -> 'manager' ->> 'row')::int as manager_row, me.outcome, me.user_id,
       coalesce((x.data -> 'manager' ->> 'id')::uuid, mgr.user_id) as manager_id
     from csv_import_rows x
     cross join lateral (select ${rowUserIdSql} as user_id, ${rowOutcomeSql} as outcome from csv_import_rows r join csv_imports i on i.id = r.import_id
       where r.import_id = x.import_id and r.row_number = x.row_number) me
     left join lateral (select case when ${rowOutcomeSql} = 'applied' then ${rowUserIdSql} end as user_id from csv_import_rows r join csv_imports i on i.id = r.import_id
       where r.import_id = x.import_id and r.row_number = (x.data -> 'manager' ->> 'row')::int) mgr on true
     where x.import_id = ? and x.row_number > ? and x.data -> 'manager' is not null and x.data -> 'manager' -> 'done' is null
     order by x.row_number limit ?`,
    [id, through, batchSize],
  );
  if (!raw.length) return false;
  const notes = new Map<number, RowProblem>();
  const wanted: Array<{ n: number; userId: string; managerId: string; label: string }> = [];
  for (const r of raw) {
    if (r.outcome !== 'applied') continue;
    const label = String(r.label);
    if (r.manager_id === null) notes.set(Number(r.row_number), notSet(column, `${label} is created by row ${r.manager_row} of this file, which was not applied (not chosen, or failed)`));
    else wanted.push({ n: Number(r.row_number), userId: String(r.user_id), managerId: String(r.manager_id), label });
  }
  const passed = raw.filter((r) => r.outcome === 'applied').length;
  let set = 0;
  if (wanted.length) {
    // The batch's people, locked for the batch; their managers as they are now. By key: the planner
    // may have no statistics of a table a first big import just filled.
    const people = new Map((await executeBound(tx, `select id, manager_id, state, source, org_role from users where org_id = ? and id = any(?::uuid[]) for update`,
      [scope.orgId, pgArray(wanted.map((w) => w.userId))])).map((r) => [String(r.id), {
      id: String(r.id), managerId: (r.manager_id as string | null) ?? null, state: String(r.state), source: String(r.source), orgRole: String(r.org_role),
    } satisfies Person]));
    const managers = new Map((await executeBound(tx, `select id, state from users where org_id = ? and id = any(?::uuid[])`,
      [scope.orgId, pgArray([...new Set(wanted.map((w) => w.managerId))])])).map((r) => [String(r.id), String(r.state)]));
    const plan: Record<string, { was: string | null; want: string; n: number }> = {};
    for (const w of wanted) {
      const person = people.get(w.userId);
      const why = refusal(scope, person, w.managerId, managers.get(w.managerId));
      if (why === null) plan[w.userId] = { was: person!.managerId, want: w.managerId, n: w.n };
      else if (why !== 'same') notes.set(w.n, notSet(column, refusalText[why](w.label)));
    }
    const ids = Object.keys(plan);
    if (ids.length) {
      const audit = auditInsertSql(scope, {
        action: 'user.updated',
        target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
        detailsSql: `jsonb_build_object('changes', jsonb_build_object('managerId', jsonb_build_object('from', uu.was, 'to', uu.want)))`,
      }, 'uu');
      // One statement: the managers, and one user.updated audit row each, as an admin's PATCH writes it, in the file's order.
      await executeBound(
        tx,
        `with uu as (update users u set manager_id = v.want, version = u.version + 1, updated_at = now()
                     from unnest(?::uuid[], ?::text[], ?::text[], ?::int[]) as v(id, want, was, n)
                     where u.id = v.id and u.org_id = ? returning u.id, u.user_name, v.was, v.want, v.n)
         ${audit.sql} order by uu.n`,
        [pgArray(ids), pgArray(ids.map((i) => plan[i]!.want)), pgArray(ids.map((i) => plan[i]!.was)), pgArray(ids.map((i) => plan[i]!.n)), scope.orgId, ...audit.params],
      );
    }
    set = ids.length;
  }
  if (notes.size) {
    await executeBound(
      tx,
      `update csv_import_rows r set notes = r.notes || jsonb_build_array(v.note) from unnest(?::int[], ?::jsonb[]) as v(n, note) where r.import_id = ? and r.row_number = v.n`,
      [pgArray([...notes.keys()]), pgArray([...notes.values()].map((n) => JSON.stringify(n))), id],
    );
  }
  await tx.execute(
    `update csv_imports set managers_through = ?, progress = progress || jsonb_build_object('manager', coalesce((progress ->> 'manager')::int, 0) + ?)
       || case when progress -> 'managerPassTotal' is null then '{}'::jsonb else jsonb_build_object('managerPassDone', (progress ->> 'managerPassDone')::int + ?) end,
       updated_at = now() where id = ?`,
    [Number(raw[raw.length - 1]!.row_number), set, passed, id],
  );
  return true;
}
