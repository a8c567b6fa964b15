import assert from 'node:assert/strict';
import { nameList } from '../../src/lib/name-list.ts';

describe('nameList: names for a message of bounded length', () => {
  it('joins every name whole when they fit', () => {
    assert.equal(nameList(['email', 'mail'], 100), 'email, mail');
  });

  it('counts the names that do not fit as "and N more" instead of cutting one in the middle', () => {
    assert.equal(nameList(['alpha', 'bravo', 'charlie', 'delta'], 27), 'alpha, bravo, and 2 more');
    assert.equal(nameList(['alpha', 'bravo'], 5), '2 names');
  });

  it('shows a name longer than 120 characters as its start, an ellipsis and its length', () => {
    const long = 'x'.repeat(300);
    assert.equal(nameList([long, 'mail'], 500), `${'x'.repeat(60)}… (300 characters), mail`);
    assert.equal(nameList(['y'.repeat(120)], 500), 'y'.repeat(120));
  });
});
