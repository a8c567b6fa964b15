import type { DisableSource, UserState } from '../db/entities/index.ts';
import { TransitionError } from './errors.ts';
import type { Scope } from './scope.ts';

/**
 * CONVENTIONS 9: one lifecycle, many doors. SCIM `active`, the admin API, CSV
 * and invitations all move users through this table; anything else is refused.
 *
 *   invited ──accept──▶ active ◀──reactivate── disabled
 *      │  ▲               │  └──disable──▶        ▲  │
 *      │  └───────────────┼─reactivate (never     │  │
 *      │                  │  registered)──────────┼──┘
 *      └─────disable──────┼───────────────────────┘
 *   any of them ──delete──▶ deleted ──restore (30 days)──▶ previous state
 *
 * Reactivating gives back what disabling took: an invitee who never
 * registered is invited again (pending, or expired), never `active` — that
 * would take a seat for someone with no credential who accepted no terms.
 */
export type Transition = 'accept' | 'disable' | 'reactivate' | 'delete' | 'restore';

interface Rule {
  from: UserState[];
  /** Where the move goes, unless the caller names a state in `returnsTo` (where the user was before). */
  to: UserState;
  returnsTo?: UserState[];
}

const table: Record<Transition, Rule> = {
  accept: { from: ['invited'], to: 'active' },
  disable: { from: ['invited', 'active'], to: 'disabled' },
  reactivate: { from: ['disabled'], to: 'active', returnsTo: ['active', 'invited'] },
  delete: { from: ['invited', 'active', 'disabled'], to: 'deleted' },
  restore: { from: ['deleted'], to: 'disabled', returnsTo: ['active', 'invited', 'disabled'] },
};

export const auditAction: Record<Transition, string> = {
  accept: 'user.activated',
  disable: 'user.disabled',
  reactivate: 'user.reactivated',
  delete: 'user.deleted',
  restore: 'user.restored',
};

export function canTransition(from: UserState, transition: Transition): boolean {
  return table[transition].from.includes(from);
}

/**
 * The state after a transition, or a TransitionError naming the move.
 * `previous`: where the user stood before (reactivate, restore); ignored when the move cannot go there.
 */
export function nextState(from: UserState, transition: Transition, previous?: UserState): UserState {
  const rule = table[transition];
  if (!rule.from.includes(from)) {
    throw new TransitionError(`Cannot ${transition} a user who is ${stateInWords(from)}`, { from, transition });
  }
  return previous && rule.returnsTo?.includes(previous) ? previous : rule.to;
}

/** A stored state in a refusal's words: `invited` is the statuses pending and expired, which an admin knows. */
export function stateInWords(state: UserState): string {
  return state === 'invited' ? 'invited and has not registered yet' : state;
}

/**
 * Where a user who comes back (reactivated, or restored when not disabled)
 * returns to: `invited` while they hold an invitation and never signed in
 * (acceptance clears `inviteExpiresAt` and sets `lastActiveAt`), else `active`.
 */
export function stateOnReturn(user: { inviteExpiresAt: Date | null; lastActiveAt: Date | null }): 'invited' | 'active' {
  return user.inviteExpiresAt && !user.lastActiveAt ? 'invited' : 'active';
}

/** stateOnReturn as a SQL expression over a users row alias. */
export function stateOnReturnSql(alias: string): string {
  return `(case when ${alias}.invite_expires_at is not null and ${alias}.last_active_at is null then 'invited' else 'active' end)`;
}

/**
 * SCIM's `active` is the administrative switch: enabled users (active or
 * invited) are `active: true`; disabled ones `false`. Setting it picks a transition.
 */
export function transitionForActive(state: UserState, active: boolean): Transition | undefined {
  if (active && state === 'disabled') return 'reactivate';
  if (!active && (state === 'active' || state === 'invited')) return 'disable';
  return undefined;
}

export function isEnabled(state: UserState): boolean {
  return state === 'active' || state === 'invited';
}

/** The door a disable comes through (users.disabled_by): a CSV import runs as its admin, yet is `csv`. */
export function disableSourceOf(scope: Pick<Scope, 'actor' | 'source'>): DisableSource {
  if (scope.source === 'csv') return 'csv';
  if (scope.actor.type === 'scim_token') return 'scim';
  if (scope.actor.type === 'system') return 'system';
  return 'admin';
}

/**
 * A disable made here (an admin's, a CSV's): the IdP's `active: true` does not undo it, since
 * Okta's profile push always sends it and Entra re-sends it on any difference, which is no one's
 * decision to let the person back in. Unknown (null, from before this was recorded) and the
 * IdP's own disables are the IdP's to undo.
 */
export function isLocalDisable(by: DisableSource | null): boolean {
  return by === 'admin' || by === 'csv';
}
