import assert from 'node:assert/strict';
import { canTransition, nextState, stateOnReturn, transitionForActive, isEnabled, type Transition } from '../../src/directory/lifecycle.ts';
import { TransitionError } from '../../src/directory/errors.ts';
import type { UserState } from '../../src/db/entities/index.ts';

describe('user lifecycle', () => {
  const allowed: Array<[UserState, Transition, UserState]> = [
    ['invited', 'accept', 'active'],
    ['invited', 'disable', 'disabled'],
    ['active', 'disable', 'disabled'],
    ['disabled', 'reactivate', 'active'],
    ['invited', 'delete', 'deleted'],
    ['active', 'delete', 'deleted'],
    ['disabled', 'delete', 'deleted'],
  ];
  for (const [from, transition, to] of allowed) {
    it(`moves a ${from} user to ${to} on ${transition}`, () => {
      assert.equal(canTransition(from, transition), true);
      assert.equal(nextState(from, transition), to);
    });
  }

  const refused: Array<[UserState, Transition]> = [
    ['active', 'accept'],
    ['disabled', 'accept'],
    ['deleted', 'accept'],
    ['disabled', 'disable'],
    ['deleted', 'disable'],
    ['active', 'reactivate'],
    ['invited', 'reactivate'],
    ['deleted', 'reactivate'],
    ['deleted', 'delete'],
    ['active', 'restore'],
  ];
  for (const [from, transition] of refused) {
    it(`refuses to ${transition} a ${from} user with a TransitionError`, () => {
      assert.equal(canTransition(from, transition), false);
      assert.throws(() => nextState(from, transition), TransitionError);
    });
  }

  it('restores a deleted user to the state it had before, never to deleted', () => {
    assert.equal(nextState('deleted', 'restore', 'active'), 'active');
    assert.equal(nextState('deleted', 'restore', 'invited'), 'invited');
    assert.equal(nextState('deleted', 'restore', 'deleted'), 'disabled');
  });

  it('reactivates a disabled invitee who never registered back to invited (pending or expired), anyone else to active', () => {
    assert.equal(nextState('disabled', 'reactivate', 'invited'), 'invited');
    assert.equal(nextState('disabled', 'reactivate', 'active'), 'active');
    assert.equal(nextState('disabled', 'reactivate', 'disabled'), 'active');
    assert.equal(stateOnReturn({ inviteExpiresAt: new Date(), lastActiveAt: null }), 'invited');
    assert.equal(stateOnReturn({ inviteExpiresAt: null, lastActiveAt: null }), 'active');
    assert.equal(stateOnReturn({ inviteExpiresAt: new Date(), lastActiveAt: new Date() }), 'active');
  });

  it('maps SCIM active to a transition only when it changes the administrative state', () => {
    assert.equal(transitionForActive('active', false), 'disable');
    assert.equal(transitionForActive('invited', false), 'disable');
    assert.equal(transitionForActive('disabled', true), 'reactivate');
    assert.equal(transitionForActive('active', true), undefined);
    assert.equal(transitionForActive('invited', true), undefined);
    assert.equal(transitionForActive('disabled', false), undefined);
  });

  it('counts active and invited users as enabled', () => {
    assert.deepEqual((['invited', 'active', 'disabled', 'deleted'] as UserState[]).filter(isEnabled), ['invited', 'active']);
  });
});
