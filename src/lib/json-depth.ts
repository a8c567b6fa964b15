/**
 * How deeply a parsed JSON value nests, counted without recursion, so a hostile body of
 * 100,000 brackets cannot exhaust the stack of the code that walks it. Stops as soon as
 * `limit` is passed: the cost is bounded by the body, never by the depth.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    // An object or array is one level; its scalars add none.
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
