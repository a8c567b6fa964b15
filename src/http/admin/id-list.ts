import { z } from 'zod';

/**
 * Ids in a query string, comma-separated (the users list and the users export take them so), at
 * most `max`: each is checked where it is used (peopleFilterSql names `ids` for one that is not an id).
 */
export function idListQuery(max: number) {
  return z
    .string()
    .max(max * 40, 'is too long')
    .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean))
    .refine((ids) => ids.length <= max, `must name at most ${max} users`);
}
