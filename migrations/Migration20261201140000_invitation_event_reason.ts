import { Migration } from '@mikro-orm/migrations';

/**
 * Disabling a pending (or expired) invitee voids their invitation (status `revoked`, reason
 * `user_disabled`), and reactivating them makes it work again, but the feed said so only through
 * `user.disabled` and `user.reactivated`: a consumer tracking invitations had to infer it. Those
 * moves now write an audit row for the invitation too (directory/invitee-invitation.ts), which the
 * row trigger renders:
 *
 * - `invitation.revoked` with `data.reason`: `user_disabled`, or `admin` for an admin's revoke;
 * - `invitation.reopened` (the audit action of a reactivation) as `invitation.sent` with
 *   `data.reason: "user_reactivated"`: the invitation is pending again, its link the one sent before;
 * - `invitation.expired` with `data.reason: "user_reactivated"` when it expired meanwhile.
 *
 * Events written before carry no `reason`. The function is patched in place, as in
 * Migration20261201000000 (one fragment replaced; not found stops the migration).
 */
const BEFORE = `    when 'invitation.created', 'invitation.resent', 'invitation.accepted', 'invitation.revoked', 'invitation.expired' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id,
        case a.action when 'invitation.created' then 'invitation.sent' when 'invitation.resent' then 'invitation.sent' else a.action end,
        'user', a.target_id,
        coalesce(gatehouse_invitation_resource(a.org_id, d->>'invitationId'), jsonb_build_object('user', gatehouse_user_resource(a.org_id, a.target_id))),
        jsonb_build_object('resent', a.action = 'invitation.resent'));`;
const AFTER = `    when 'invitation.created', 'invitation.resent', 'invitation.reopened', 'invitation.accepted', 'invitation.revoked', 'invitation.expired' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id,
        case when a.action in ('invitation.created', 'invitation.resent', 'invitation.reopened') then 'invitation.sent' else a.action end,
        'user', a.target_id,
        coalesce(gatehouse_invitation_resource(a.org_id, d->>'invitationId'), jsonb_build_object('user', gatehouse_user_resource(a.org_id, a.target_id))),
        jsonb_build_object('resent', a.action = 'invitation.resent')
          || case when a.action in ('invitation.revoked', 'invitation.reopened', 'invitation.expired') and d ? 'reason'
               then jsonb_build_object('reason', d->'reason') else '{}'::jsonb end);`;

function patchFunction(name: string, from: string, to: string): string {
  return `do $patch$
declare
  def text := pg_get_functiondef('${name}'::regproc);
begin
  if position($from$${from}$from$ in def) = 0 then
    raise exception '${name}: the fragment to replace was not found';
  end if;
  execute replace(def, $from$${from}$from$, $to$${to}$to$);
end
$patch$;`;
}

export class Migration20261201140000_invitation_event_reason extends Migration {

  override name = 'Migration20261201140000_invitation_event_reason';

  override up(): void | Promise<void> {
    this.addSql(patchFunction('gatehouse_audit_to_events', BEFORE, AFTER));
  }

  override down(): void | Promise<void> {
    this.addSql(patchFunction('gatehouse_audit_to_events', AFTER, BEFORE));
  }

}
