export { applyPatch, type PatchOutcome } from './apply.ts';
export { parsePatchRequest, type RequestErrorCode } from './request.ts';
export { PATCH_OP_SCHEMA, type PatchErrorCode, type PatchOp, type ScimObject } from './types.ts';
