import type { Compare, LogExp, NotFilter, Suffix, ValuePath } from 'scim2-parse-filter';

/**
 * The filter AST: scim2-parse-filter's nodes (compare, pr, and/or, not and value paths
 * `attr[filter]`), except that a number keeps the text it was written as.
 */
export type FilterAst = Comparison | Suffix | Logical | Negation | ValuePathNode;

export interface Comparison extends Compare {
  /**
   * A number's source text (`12345`, `007`, `1e3`): a string attribute compares with it, not
   * with the number (leaf.ts numberAsText). Absent for strings, booleans and null.
   */
  raw?: string;
}

export interface Logical extends Omit<LogExp, 'filters'> {
  filters: FilterAst[];
}

export interface Negation extends Omit<NotFilter, 'filter'> {
  filter: FilterAst;
}

export interface ValuePathNode extends Omit<ValuePath, 'valFilter'> {
  valFilter: FilterAst;
}
