import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseInput } from '../../src/http/validate.ts';
import { ValidationError } from '../../src/directory/errors.ts';

describe('input validation at the HTTP edge', () => {
  const schema = z.strictObject({
    scope: z.enum(['scim', 'admin'], { error: 'must be one of scim, admin' }),
    name: z.string().min(1, 'must not be empty'),
    settings: z.strictObject({ limit: z.number().int() }).optional(),
  });

  function problems(input: unknown): Array<{ field: string; reason: string }> {
    try {
      parseInput(schema, input);
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      return error.problems.map((p) => ({ field: p.field, reason: p.reason }));
    }
    assert.fail('accepted');
  }

  it('says a missing field is required, rather than what a given value would have to be', () => {
    assert.deepEqual(problems({}), [{ field: 'scope', reason: 'is required' }, { field: 'name', reason: 'is required' }]);
    assert.deepEqual(problems({ name: 'x', scope: 'admin', settings: {} }), [{ field: 'settings.limit', reason: 'is required' }]);
  });

  it('keeps the rule for a value given wrong, null included', () => {
    assert.deepEqual(problems({ scope: 'root', name: '' }), [{ field: 'scope', reason: 'must be one of scim, admin' }, { field: 'name', reason: 'must not be empty' }]);
    assert.deepEqual(problems({ scope: null, name: 'x' }), [{ field: 'scope', reason: 'must be one of scim, admin' }]);
  });
});
