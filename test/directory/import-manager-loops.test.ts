import assert from 'node:assert/strict';
import type { Directory, Existing } from '../../src/directory/import-directory.ts';
import { refuseManagerLoops } from '../../src/directory/import-manager-loops.ts';
import type { ImportFile, Planned } from '../../src/directory/imports.ts';

/**
 * The preview's loop check as a pure function over the planned rows, on files the size the
 * README promises (100,000 rows): one walk per person, however long the chains or many the loops.
 */
describe('CSV preview: loops of managers in large files', function () {
  this.timeout(300_000);
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const email = (n: number) => `p${n}@example.com`;

  function directory(people: Array<{ n: number; manager?: number }>): Directory {
    const byId = new Map<string, Existing>();
    for (const p of people) {
      byId.set(id(p.n), {
        id: id(p.n), userName: email(p.n), email: email(p.n), state: 'active', status: 'active', orgRole: 'member', source: 'csv', returnsTo: 'active',
        profile: {} as Existing['profile'], managerId: p.manager === undefined ? null : id(p.manager),
      });
    }
    return { byId, byEmail: new Map(), byUserName: new Map(), groups: new Map(), memberships: new Map() };
  }

  /** Rows updating existing people (`manager` by id) or creating new ones (`manager` by the file's email). */
  function file(rows: Array<{ n: number; manager: number; create?: boolean; managerInFile?: boolean }>): { file: ImportFile; planned: Planned[] } {
    const planned = rows.map((r, i): Planned => {
      const manager = r.managerInFile ? { label: email(r.manager), file: true } : { label: email(r.manager), id: id(r.manager) };
      return r.create
        ? { line: i + 2, action: 'create', userId: null, label: email(r.n), data: { email: email(r.n), newUserId: id(r.n), profile: {}, status: null, groups: [], manager }, changes: {}, errors: [] }
        : { line: i + 2, action: 'update', userId: id(r.n), label: email(r.n), data: { profile: {}, status: null, groups: [], manager }, changes: { manager: { from: null, to: manager.label } }, errors: [] };
    });
    const input: ImportFile = {
      fileName: null, encoding: 'utf-8', delimiter: ',', headers: { email: 'Email', manager: 'Manager' }, columns: { readOnly: [], unknown: [], duplicates: [] },
      rows: rows.map((r, i) => ({ line: i + 2, values: { email: email(r.n), manager: email(r.manager) }, problems: [] })),
    };
    return { file: input, planned };
  }

  const refused = (planned: Planned[]) => planned.flatMap((p, i) => (p.errors.some((e) => e.reason === 'manager_cycle') ? [i] : []));
  const N = 100_000;

  it('refuses only the last row of a loop the whole file makes among the people it creates, naming it shortened', () => {
    const { file: f, planned } = file(Array.from({ length: N }, (_, i) => ({ n: i, manager: (i + 1) % N, create: true, managerInFile: true })));
    refuseManagerLoops(directory([]), f, planned);
    assert.deepEqual(refused(planned), [N - 1]);
    assert.equal(planned[N - 1]!.action, 'skip');
    assert.match(planned[N - 1]!.errors[0]!.message, new RegExp(`^would close a loop of managers: p${N - 1}@example\\.com → p0@example\\.com → .* … .* → p${N - 1}@example\\.com \\(${N} people\\)`));
  });

  it('refuses the second row of each of 50,000 pairs naming each other, and nothing else', () => {
    const people = Array.from({ length: N }, (_, n) => ({ n }));
    const { file: f, planned } = file(people.map(({ n }) => ({ n, manager: n % 2 ? n - 1 : n + 1 })));
    refuseManagerLoops(directory(people), f, planned);
    assert.deepEqual(refused(planned), people.filter(({ n }) => n % 2).map(({ n }) => n));
  });

  it('refuses nothing in a file of 100,000 new people under one new manager, and the one row making that manager report to one of them', () => {
    const rows = Array.from({ length: N }, (_, n) => ({ n, manager: N, create: true, managerInFile: true }));
    const { file: f, planned } = file([...rows, { n: N, manager: 7, create: true, managerInFile: true }]);
    refuseManagerLoops(directory([]), f, planned);
    assert.deepEqual(refused(planned), [N]);
    assert.match(planned[N]!.errors[0]!.message, /p100000@example\.com → p7@example\.com → p100000@example\.com;/);
  });

  it('follows a chain of 100,000 managers in the organization: its top naming its bottom is refused', () => {
    const people = Array.from({ length: N }, (_, n) => (n === N - 1 ? { n } : { n, manager: n + 1 }));
    const { file: f, planned } = file([{ n: N - 1, manager: 0 }, { n: N + 1, manager: 0, create: true }]);
    refuseManagerLoops(directory(people), f, planned);
    assert.deepEqual(refused(planned), [0]);
  });
});
