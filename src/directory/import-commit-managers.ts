import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import { DomainError } from './errors.ts';
import type { ManagerData } from './import-managers.ts';
import { rowOutcomeSql, rowUserIdSql } from './import-rows.ts';
import type { RowProblem } from './imports.ts';
import { updateProfile } from './people.ts';
import type { Scope } from './scope.ts';

/**
 * The commit's last pass (import-commit.ts): the Manager column's managers, set once every
 * row is applied, so a manager the same file creates exists by then. Like the rows, in
 * batches, each one transaction that sets its managers and marks its rows done
 * (`data.manager.done`) and counts them in the import's progress (`manager`): a commit
 * stopped in this pass resumes it where it stopped, and never sets a manager twice. Each
 * manager is set as an admin sets one (updateProfile: one user.updated with
 * changes.managerId, audited and in the feed).
 */

const notSet = (column: string, message: string): RowProblem => ({ column, reason: 'manager_not_set', message: `${message}: the manager is not set` });

interface ManagerRow {
  rowNumber: number;
  userId: string;
  manager: ManagerData;
  /** The manager's id: theirs, or that of the person their row created; null when that row was not applied. */
  managerId: string | null;
}

/** One batch of the pass, in `tx` (the import locked, `committing`): false once no row is left. */
export async function setManagersBatch(tx: Em, scope: Scope, id: string, column: string, batchSize: number): Promise<boolean> {
  const raw = await tx.execute(
    `select x.row_number, me.user_id, x.data -> 'manager' as manager, coalesce((x.data -> 'manager' ->> 'id')::uuid, mgr.user_id) as manager_id
     from csv_import_rows x
     cross join lateral (select ${rowUserIdSql} as user_id, ${rowOutcomeSql} as outcome from csv_import_rows r join csv_imports i on i.id = r.import_id
       where r.import_id = x.import_id and r.row_number = x.row_number) me
     left join lateral (select case when ${rowOutcomeSql} = 'applied' then ${rowUserIdSql} end as user_id from csv_import_rows r join csv_imports i on i.id = r.import_id
       where r.import_id = x.import_id and r.row_number = (x.data -> 'manager' ->> 'row')::int) mgr on true
     where x.import_id = ? and x.data -> 'manager' is not null and x.data -> 'manager' -> 'done' is null and me.outcome = 'applied'
     order by x.row_number limit ?`,
    [id, batchSize],
  );
  if (!raw.length) return false;
  const rows: ManagerRow[] = raw.map((r) => ({
    rowNumber: Number(r.row_number), userId: String(r.user_id), managerId: (r.manager_id as string | null) ?? null,
    manager: (typeof r.manager === 'string' ? JSON.parse(r.manager) : r.manager) as ManagerData,
  }));
  const notes = new Map<number, RowProblem>();
  let set = 0;
  for (const row of rows) {
    if (row.managerId === null) {
      notes.set(row.rowNumber, notSet(column, `${row.manager.label} is created by row ${row.manager.row} of this file, which was not applied (not chosen, or failed)`));
      continue;
    }
    try {
      const { changed } = await tx.transactional((sp) => updateProfile(sp, scope, row.userId, { managerId: row.managerId }));
      if (changed) set++;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      notes.set(row.rowNumber, notSet(column, `${row.manager.label}: ${error.message}`));
    }
  }
  await executeBound(
    tx,
    `update csv_import_rows r set data = jsonb_set(r.data, '{manager,done}', 'true'::jsonb), notes = case when v.note is null then r.notes else r.notes || jsonb_build_array(v.note) end
     from unnest(?::int[], ?::jsonb[]) as v(n, note) where r.import_id = ? and r.row_number = v.n`,
    [pgArray(rows.map((r) => r.rowNumber)), pgArray(rows.map((r) => (notes.has(r.rowNumber) ? JSON.stringify(notes.get(r.rowNumber)) : null))), id],
  );
  await tx.execute(`update csv_imports set progress = progress || jsonb_build_object('manager', coalesce((progress ->> 'manager')::int, 0) + ?), updated_at = now() where id = ?`, [set, id]);
  return true;
}
