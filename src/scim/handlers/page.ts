import { encodeCursor, type ListRequest } from '../list.ts';

type Json = Record<string, unknown>;

export interface PageQuery {
  where: ListRequest['where'];
  orderBy: string | undefined;
  limit: number;
  offset: number;
  afterId: string | undefined;
  count: true;
}

/**
 * One page of a list request, by index or by cursor. In cursor mode one extra
 * row is fetched: it tells whether a next page exists without a second query.
 */
export async function fetchPage<R extends { id: string }>(
  list: ListRequest,
  fetch: (query: PageQuery) => Promise<{ items: R[]; total: number }>,
  render: (item: R) => Json,
): Promise<{ resources: Json[]; total: number; next: string | undefined }> {
  const cursorMode = Boolean(list.cursor);
  const { items, total } = await fetch({
    where: list.where,
    orderBy: list.orderBy,
    limit: cursorMode ? list.count + 1 : list.count,
    offset: cursorMode ? 0 : list.startIndex - 1,
    afterId: list.cursor?.after,
    count: true,
  });
  const page = items.slice(0, list.count);
  const next = cursorMode && items.length > list.count && page.length ? encodeCursor(page[page.length - 1]!.id) : undefined;
  return { resources: page.map(render), total, next };
}
