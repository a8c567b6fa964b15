import assert from 'node:assert/strict';
import { landingAfterSignIn, SIGNED_IN_LANDING } from '../../src/lib/landing.ts';

describe('where a browser lands after signing in', () => {
  it('follows a path of the console, with its query and fragment', () => {
    for (const next of ['/console', '/console/users/1', '/console?tab=people', '/console#top']) {
      assert.equal(landingAfterSignIn(next), next, next);
    }
    assert.equal(landingAfterSignIn('/console/users/../groups'), '/console/groups', 'as the browser resolves it');
  });

  it('lands on the console for anything else: other origins, other paths, and dot segments or encodings that leave the console', () => {
    for (const next of [
      'https://evil.test/console', '//evil.test/console', '/\\evil.test', '/consoles', '/auth/logout', '/console/../auth/logout',
      '/console/./../api/orgs/x', '/console/%2e%2e/auth/logout', '/console/%2E%2E/auth/logout', '/console/..', '/console/x/../../auth/logout', '/console\t/x', 42, null,
    ]) {
      assert.equal(landingAfterSignIn(next), SIGNED_IN_LANDING, String(next));
    }
  });
});
