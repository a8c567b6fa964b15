import assert from 'node:assert/strict';
import { problemText } from '../../src/http/console/pages/imports-rows.ts';

describe('an import row problem in the console', () => {
  it('names the column and the reason in words, with the domain’s words only when they add something', () => {
    assert.equal(problemText({ column: 'Email', reason: 'invalid_email', message: 'is not a valid email address' }), 'Column “Email”: is not a valid email address');
    assert.equal(problemText({ column: 'Groups', reason: 'unknown_group', message: 'no group named "Ops"' }), 'Column “Groups”: names an entry point that does not exist (no group named "Ops")');
    assert.equal(problemText({ column: null, reason: 'last_org_admin', message: '' }), 'Row: last org admin');
  });
});
