/**
 * RFC 7643 §2 and §7: the characteristics of every SCIM attribute. One
 * declaration per resource (CONVENTIONS 1) feeds validation, /Schemas,
 * /ResourceTypes, filter translation, PATCH and attribute projection.
 */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/**
 * Where an attribute lives in the store, for filters and sorting:
 * - column: a scalar column of the resource's table (e.g. users.user_name); `uuid` columns
 *   only compare with well-formed uuids (anything else matches nothing, never a SQL error);
 * - state: users.active, derived from users.state (see schema/user.ts);
 * - jsonArray: a jsonb column holding an array of complex values (users.emails);
 * - jsonPath: a path inside the jsonb column that keeps raw SCIM attributes (scim_attributes);
 * - element: a sub-attribute of a multi-valued complex attribute, the key `key` of each element;
 * - members / groups: computed from the memberships table; their sub-attributes are `column`s
 *   of a memberships row;
 * - manager: the enterprise manager's `value` or `displayName`, read from the manager the user's
 *   manager_id names as every read shows them (none when deleted or of another org).
 */
export type Storage =
  | { kind: 'column'; column: string; uuid?: boolean }
  | { kind: 'state' }
  | { kind: 'jsonArray'; column: string }
  | { kind: 'jsonPath'; column: string; path: string[] }
  | { kind: 'element'; key: string }
  | { kind: 'members' }
  | { kind: 'groups' }
  | { kind: 'manager'; key: 'value' | 'displayName' };

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  description: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
  /** Absent: not filterable or sortable (filters on it answer 400 invalidFilter). */
  storage?: Storage;
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

export interface ResourceTypeDef {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: SchemaDef;
  extensions: Array<{ schema: SchemaDef; required: boolean }>;
  /** The table whose rows are this resource, for filter SQL. */
  table: string;
}
