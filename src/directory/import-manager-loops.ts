import type { Directory } from './import-directory.ts';
import { fileRows, labelOf, type ManagerData } from './import-managers.ts';
import type { CreateData } from './import-rows.ts';
import type { ImportFile, Planned } from './imports.ts';
import { loopMessage } from './manager-chain.ts';

/**
 * The Manager column never closes a loop of managers (manager-chain.ts), with the file's other
 * rows applied. Run once every row is planned, before file managers are linked to their rows: the
 * org's managers as the commit would leave them (each person's manager as stored, or as their row
 * sets it) are a graph where everyone has at most one manager, so one walk with a visited mark per
 * person finds every loop (linear in the people and rows: a 100,000-row file stays fast). On each
 * loop rows are on, the last of them in file order is refused (`manager_cycle`) and its person keeps
 * the manager they have — which may close another loop with the file: those people are walked
 * again, until none is left. A loop no row is on (the IdP's, transient) is left alone.
 */

type Node = string;

interface Graph {
  /** The person's manager as the commit would leave them, or null. */
  managerOf: (node: Node) => Node | null;
}

/** Every loop reached from `starts` (each as its people in manager order), one walk per start, each person walked once. */
function findLoops(graph: Graph, starts: Iterable<Node>): Node[][] {
  const walkOf = new Map<Node, number>();
  const loops: Node[][] = [];
  let walk = 0;
  for (const start of starts) {
    walk++;
    const path: Node[] = [];
    let node: Node | null = start;
    while (node !== null && !walkOf.has(node)) {
      walkOf.set(node, walk);
      path.push(node);
      node = graph.managerOf(node);
    }
    if (node !== null && walkOf.get(node) === walk) loops.push(path.slice(path.indexOf(node)));
  }
  return loops;
}

export function refuseManagerLoops(dir: Directory, file: ImportFile, planned: Planned[]): void {
  const { creates } = fileRows(file, planned);
  /** The person (their id, or the id a create row allocated) whose manager row `index` sets, and that manager. */
  const rowOf = new Map<Node, number>();
  const wanted = new Map<Node, Node>();
  const created = new Map<Node, string>();
  /** A create row's index → the rows naming its person as their manager. */
  const reports = new Map<number, number[]>();
  const personOf = (plan: Planned): Node => (plan.action === 'create' ? (plan.data as unknown as CreateData).newUserId : plan.userId!);

  planned.forEach((plan, index) => {
    if (plan.errors.length || (plan.action !== 'create' && plan.action !== 'update')) return;
    const person = personOf(plan);
    if (plan.action === 'create') created.set(person, (plan.data as unknown as CreateData).email);
    const manager = plan.data.manager as ManagerData | undefined;
    if (!manager) return;
    let to = manager.id;
    if (to === undefined && manager.file) {
      const row = creates.get(manager.label);
      if (row === undefined) return; // linkFileManagers says manager_not_set
      to = (planned[row - 1]!.data as unknown as CreateData).newUserId;
      const named = reports.get(row - 1);
      if (named) named.push(index);
      else reports.set(row - 1, [index]);
    }
    if (to === undefined) return;
    rowOf.set(person, index);
    wanted.set(person, to);
  });
  if (!wanted.size) return;

  /** The manager a person has now, as every read shows it: none when it is someone deleted. */
  const stored = (node: Node): Node | null => {
    const id = dir.byId.get(node)?.managerId;
    const manager = id ? dir.byId.get(id.toLowerCase()) : undefined;
    return manager && manager.state !== 'deleted' ? manager.id : null;
  };
  const graph: Graph = { managerOf: (node) => wanted.get(node) ?? (created.has(node) ? null : stored(node)) };
  const label = (node: Node): string => {
    const user = dir.byId.get(node);
    return user ? labelOf(user) : created.get(node)!;
  };
  const column = file.headers.manager ?? 'Manager';

  let starts: Node[] = [...wanted.keys()];
  for (;;) {
    const kept: Node[] = [];
    for (const loop of findLoops(graph, starts)) {
      const last = loop.reduce((latest, node) => Math.max(latest, rowOf.get(node) ?? -1), -1);
      if (last < 0) continue;
      const plan = planned[last]!;
      const person = personOf(plan);
      const from = loop.indexOf(person);
      const labels = [...loop.slice(from), ...loop.slice(0, from), person].map(label);
      plan.errors.push({ column, reason: 'manager_cycle', message: loopMessage(labels) });
      plan.action = 'skip';
      plan.data = {};
      plan.changes = {};
      wanted.delete(person);
      rowOf.delete(person);
      if (!created.has(person)) kept.push(person);
      // A person the file no longer creates manages nobody: the rows naming them apply without (linkFileManagers).
      for (const report of reports.get(last) ?? []) {
        const node = personOf(planned[report]!);
        if (rowOf.get(node) !== report) continue;
        wanted.delete(node);
        rowOf.delete(node);
        if (!created.has(node)) kept.push(node);
      }
    }
    starts = kept.filter((node) => stored(node) !== null);
    if (!starts.length) return;
  }
}
