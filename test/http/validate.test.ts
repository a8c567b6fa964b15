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

  describe('a number in the query string', () => {
    const query = z.strictObject({
      limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
      cursor: z.coerce.number().int().min(0).optional(),
      page: z.coerce.number().int().optional(),
      ratio: z.coerce.number().min(0).max(1).optional(),
    });
    const reasons = (input: Record<string, unknown>, where: 'query' | 'body' = 'query') => {
      try {
        parseInput(query, input, where);
      } catch (error) {
        assert.ok(error instanceof ValidationError);
        return error.problems.map((p) => `${p.field}: ${p.reason}`);
      }
      assert.fail('accepted');
    };

    for (const [input, expected] of [
      [{ limit: 'abc' }, 'limit: must be a whole number between 1 and 200'],
      [{ limit: ['10', '20'] }, 'limit: must be a whole number between 1 and 200'],
      [{ limit: 'Infinity' }, 'limit: must be a whole number between 1 and 200'],
      [{ cursor: 'x' }, 'cursor: must be a whole number, 0 or more'],
      [{ cursor: '-1' }, 'cursor: must be a whole number, 0 or more'],
      [{ page: 'two' }, 'page: must be a whole number'],
      [{ ratio: 'half' }, 'ratio: must be a number between 0 and 1'],
      [{ limit: '' }, 'limit: must be a whole number between 1 and 200'],
      [{ limit: '  ' }, 'limit: must be a whole number between 1 and 200'],
      [{ cursor: '' }, 'cursor: must be a whole number, 0 or more'],
      [{ page: '' }, 'page: must be a whole number'],
      [{ ratio: '\t' }, 'ratio: must be a number between 0 and 1'],
    ] as const) {
      it(`names the parameter and its whole rule for ${JSON.stringify(input)}, not zod's "expected number, received NaN"`, () => {
        assert.deepEqual(reasons(input), [expected]);
      });
    }

    it('reads an empty number as given wrong (not as 0, nor as absent) in the query string only', () => {
      assert.deepEqual(reasons({ limit: '', cursor: '' }), ['limit: must be a whole number between 1 and 200', 'cursor: must be a whole number, 0 or more']);
      assert.deepEqual(parseInput(query, { limit: '7', cursor: '0' }, 'query'), { limit: 7, cursor: 0 });
      assert.deepEqual(reasons({ limit: '' }, 'body'), ['limit: must be at least 1']);
    });

    it("keeps a route's own wording for the rule a number breaks", () => {
      assert.deepEqual(reasons({ limit: '0' }), ['limit: must be at least 1']);
      assert.deepEqual(reasons({ limit: '2.5' }), ['limit: must be a whole number']);
    });
  });
});
