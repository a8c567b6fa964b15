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

/** The rows' managers as the commit would set them: who wants whom, by which row, and who the file creates. */
interface FileManagers {
  /** The person (their id, or the id a create row allocated) → the manager their row sets. */
  wanted: Map<Node, Node>;
  /** The person → the index of the row setting their manager. */
  rowOf: Map<Node, number>;
  /** The people the file creates → their email. */
  created: Map<Node, string>;
  /** A create row's index → the rows naming its person as their manager. */
  reports: Map<number, number[]>;
}

const personOf = (plan: Planned): Node => (plan.action === 'create' ? (plan.data as unknown as CreateData).newUserId : plan.userId!);

function fileManagers(file: ImportFile, planned: Planned[]): FileManagers {
  const { creates } = fileRows(file, planned);
  const out: FileManagers = { wanted: new Map(), rowOf: new Map(), created: new Map(), reports: new Map() };
  planned.forEach((plan, index) => {
    if (plan.errors.length || (plan.action !== 'create' && plan.action !== 'update')) return;
    const person = personOf(plan);
    if (plan.action === 'create') out.created.set(person, (plan.data as unknown as CreateData).email);
    const manager = plan.data.manager as ManagerData | undefined;
    if (!manager) return;
    let to = manager.id;
    if (to === undefined && manager.file) {
      const row = creates.get(manager.label);
      if (row === undefined) return; // linkFileManagers says manager_not_set
      to = (planned[row - 1]!.data as unknown as CreateData).newUserId;
      const named = out.reports.get(row - 1);
      if (named) named.push(index);
      else out.reports.set(row - 1, [index]);
    }
    if (to === undefined) return;
    out.rowOf.set(person, index);
    out.wanted.set(person, to);
  });
  return out;
}

/** Refuses the loop's last row (the person keeps their manager): the people to walk again, who may close another loop. */
function refuseLoop(loop: Node[], planned: Planned[], m: FileManagers, column: string, label: (node: Node) => string): Node[] {
  const last = loop.reduce((latest, node) => Math.max(latest, m.rowOf.get(node) ?? -1), -1);
  if (last < 0) return [];
  const plan = planned[last]!;
  const person = personOf(plan);
  const from = loop.indexOf(person);
  const labels = [...loop.slice(from), ...loop.slice(0, from), person].map(label);
  plan.errors.push({ column, reason: 'manager_cycle', message: loopMessage(labels) });
  plan.action = 'skip';
  plan.data = {};
  plan.changes = {};
  const kept: Node[] = [];
  const release = (node: Node) => {
    m.wanted.delete(node);
    m.rowOf.delete(node);
    if (!m.created.has(node)) kept.push(node);
  };
  release(person);
  // A person the file no longer creates manages nobody: the rows naming them apply without (linkFileManagers).
  for (const report of m.reports.get(last) ?? []) {
    const node = personOf(planned[report]!);
    if (m.rowOf.get(node) === report) release(node);
  }
  return kept;
}

export function refuseManagerLoops(dir: Directory, file: ImportFile, planned: Planned[]): void {
  const m = fileManagers(file, planned);
  if (!m.wanted.size) return;
  /** The manager a person has now, as every read shows it: none when it is someone deleted. */
  const stored = (node: Node): Node | null => {
    const id = dir.byId.get(node)?.managerId;
    const manager = id ? dir.byId.get(id.toLowerCase()) : undefined;
    return manager && manager.state !== 'deleted' ? manager.id : null;
  };
  const graph: Graph = { managerOf: (node) => m.wanted.get(node) ?? (m.created.has(node) ? null : stored(node)) };
  const label = (node: Node): string => {
    const user = dir.byId.get(node);
    return user ? labelOf(user) : m.created.get(node)!;
  };
  const column = file.headers.manager ?? 'Manager';
  let starts: Node[] = [...m.wanted.keys()];
  while (starts.length) {
    const kept = findLoops(graph, starts).flatMap((loop) => refuseLoop(loop, planned, m, column, label));
    starts = kept.filter((node) => stored(node) !== null);
  }
}
