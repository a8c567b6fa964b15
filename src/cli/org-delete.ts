import { deleteOrg } from '../directory/org-deletion.ts';
import { UsageError, cliActor, required, type Command } from './context.ts';

/**
 * `gatehouse org delete`: removes an org and all its data when a customer
 * leaves. It cannot be undone, so `--confirm` must repeat the slug. No org is
 * left to hold an audit event, so the record of it is the stderr line (the
 * operator's shell log), naming the org and who ran it.
 */
export const orgDelete: Command = async ({ store, flags, io }) => {
  const slug = required(flags, 'slug');
  const confirm = required(flags, 'confirm');
  if (confirm !== slug) throw new UsageError(`--confirm must repeat the slug: "${confirm}" is not "${slug}"`);
  const actor = cliActor();
  const { org, deleted } = await deleteOrg(store.orm.em.fork(), slug);
  const counts = Object.entries(deleted).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ');
  process.stderr.write(`gatehouse: organization ${org.slug} (id ${org.id}) deleted by ${actor.label}: ${counts || 'no data'}\n`);
  if (io.json) io.out(JSON.stringify({ org: org.slug, id: org.id, deleted }));
  else io.out(`Deleted organization ${org.slug} (${org.name}), id ${org.id}, and all its data.`);
};
