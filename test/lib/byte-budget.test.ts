import assert from 'node:assert/strict';
import { ByteBudget } from '../../src/lib/byte-budget.ts';

describe('ByteBudget', () => {
  it('grants waiters first come first served as bytes are released, a small one not overtaking a large one ahead of it', () => {
    const budget = new ByteBudget(100);
    const order: string[] = [];
    assert.equal(budget.tryTake(80), true);
    budget.take(60, 60_000, (taken) => order.push(`large ${taken}`));
    budget.take(10, 60_000, (taken) => order.push(`small ${taken}`));
    assert.equal(budget.tryTake(10), false, 'nobody jumps the queue');
    assert.deepEqual(order, []);
    budget.release(80);
    assert.deepEqual(order, ['large true', 'small true']);
    assert.equal(budget.used, 70);
    assert.equal(budget.waiting, 0);
  });

  it('forgets a waiter that gave up, and lets the ones behind it through', () => {
    const budget = new ByteBudget(100);
    const order: string[] = [];
    budget.tryTake(50);
    const giveUp = budget.take(90, 60_000, (taken) => order.push(`large ${taken}`));
    budget.take(40, 60_000, (taken) => order.push(`small ${taken}`));
    giveUp();
    assert.deepEqual(order, ['small true']);
    budget.release(50);
    budget.release(40);
    assert.equal(budget.used, 0);
    assert.equal(budget.waiting, 0);
  });

  it('answers false to a waiter that found no room in its time, and takes nothing for it', async () => {
    const budget = new ByteBudget(100);
    budget.tryTake(100);
    const taken = await new Promise<boolean>((resolve) => budget.take(1, 0, resolve));
    assert.equal(taken, false);
    assert.equal(budget.waiting, 0);
    budget.release(100);
    assert.equal(budget.used, 0);
  });

  it('lets a body already admitted grow into the room left, whoever waits', () => {
    const budget = new ByteBudget(100);
    budget.tryTake(50);
    const giveUp = budget.take(60, 60_000, () => {});
    assert.equal(budget.grow(50), true);
    assert.equal(budget.grow(1), false);
    giveUp();
  });
});
