import type { UserState } from '../db/entities/index.ts';
import { TransitionError } from './errors.ts';

/**
 * CONVENTIONS 9: one lifecycle, many doors. SCIM `active`, the admin API, CSV
 * and invitations all move users through this table; anything else is refused.
 *
 *   invited ──accept──▶ active ◀──reactivate── disabled
 *      │                  │  └──disable──▶        ▲
 *      └─────disable──────┼───────────────────────┘
 *   any of them ──delete──▶ deleted ──restore (30 days)──▶ previous state
 */
export type Transition = 'accept' | 'disable' | 'reactivate' | 'delete' | 'restore';

const table: Record<Transition, { from: UserState[]; to: UserState | 'previous' }> = {
  accept: { from: ['invited'], to: 'active' },
  disable: { from: ['invited', 'active'], to: 'disabled' },
  reactivate: { from: ['disabled'], to: 'active' },
  delete: { from: ['invited', 'active', 'disabled'], to: 'deleted' },
  restore: { from: ['deleted'], to: 'previous' },
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

/** The state after a transition, or a TransitionError naming the move. */
export function nextState(from: UserState, transition: Transition, previous?: UserState): UserState {
  const rule = table[transition];
  if (!rule.from.includes(from)) {
    throw new TransitionError(`Cannot ${transition} a user who is ${from}`, { from, transition });
  }
  if (rule.to === 'previous') return previous && previous !== 'deleted' ? previous : 'disabled';
  return rule.to;
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
