/** RFC 7644 §3.5.2: one PATCH operation, after the request body has been validated. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** A resource in its SCIM JSON shape: core attributes at top level, extensions under their URN. */
export type ScimObject = Record<string, unknown>;

/** RFC 7644 §3.12 scimType codes a PATCH can answer with (all 400s). */
export type PatchErrorCode = 'invalidSyntax' | 'invalidPath' | 'invalidFilter' | 'noTarget' | 'invalidValue' | 'mutability';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Thrown inside the engine and turned into a Result at its boundary (applyPatch), so the
 * recursive writers need not thread a Result through every level; it never escapes.
 */
export class PatchFailure extends Error {
  readonly code: PatchErrorCode;
  constructor(code: PatchErrorCode, detail: string) {
    super(detail);
    this.code = code;
  }
}
