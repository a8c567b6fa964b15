import { findAttribute } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from './schema/types.ts';
import { prepare } from './patch/values.ts';
import { PatchFailure } from './patch/types.ts';
import { ScimError } from './errors.ts';

type Json = Record<string, unknown>;

/**
 * A POST or PUT body in canonical form (RFC 7644 §3.3, §3.5.1): attribute names
 * in the schema's spelling (they are case-insensitive, RFC 7643 §2.1), values
 * type-checked, readOnly attributes ignored, unknown attributes and unknown
 * extension objects kept raw so they round-trip. `schemas` is not required:
 * Okta and Entra always send it, other clients do not, and it adds nothing here.
 */
export function readResource(body: unknown, type: ResourceTypeDef): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScimError(400, 'The request body must be a JSON object', 'invalidSyntax');
  }
  const out: Json = {};
  const extensions = new Map(type.extensions.map((e) => [e.schema.id.toLowerCase(), e.schema]));
  try {
    for (const [key, value] of Object.entries(body as Json)) {
      if (key === 'schemas' || value === null || value === undefined) continue;
      const extension = extensions.get(key.toLowerCase());
      if (extension) {
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          throw new ScimError(400, `"${extension.id}" must be an object`, 'invalidValue');
        }
        const ext: Json = {};
        for (const [subKey, subValue] of Object.entries(value as Json)) {
          if (subValue === null || subValue === undefined) continue;
          const attribute = findAttribute(extension.attributes, subKey);
          if (!attribute) ext[subKey] = subValue;
          else if (attribute.mutability !== 'readOnly') ext[attribute.name] = checked(attribute, bareManagerId(attribute, subValue), `${extension.id}:${attribute.name}`);
        }
        out[extension.id] = ext;
        continue;
      }
      const attribute = findAttribute(type.schema.attributes, key);
      if (!attribute) out[key] = value;
      else if (attribute.mutability !== 'readOnly') out[attribute.name] = checked(attribute, value, attribute.name);
    }
  } catch (error) {
    if (error instanceof PatchFailure) throw new ScimError(400, error.message, error.code === 'invalidValue' ? 'invalidValue' : 'invalidSyntax');
    throw error;
  }
  return out;
}

/**
 * The enterprise `manager` sent as a bare id string (Entra's spelling, taken on PATCH too:
 * vendor-quirks.ts entraManagerId) is `{value: id}`, the complex value RFC 7643 §4.3 defines.
 */
function bareManagerId(attribute: AttributeDef, value: unknown): unknown {
  return attribute.name === 'manager' && attribute.type === 'complex' && typeof value === 'string' ? { value } : value;
}

/**
 * A value in canonical form, with RFC 7643 §2.4's rule that `primary: true` appears at most
 * once among a multi-valued attribute's values. A POST or PUT sets all of them at once, so
 * two primaries are refused as PATCH refuses them in the values one operation sets
 * (patch/apply.ts keepOnePrimary), not silently reduced to one.
 */
function checked(attribute: AttributeDef, value: unknown, label: string): unknown {
  const prepared = prepare(attribute, value, label);
  if (attribute.multiValued && findAttribute(attribute.subAttributes, 'primary') && Array.isArray(prepared)) {
    const primaries = prepared.filter((e) => e !== null && typeof e === 'object' && (e as Json).primary === true).length;
    if (primaries > 1) throw new ScimError(400, `At most one "${label}" value may have "primary": true (RFC 7643 §2.4); ${primaries} do`, 'invalidValue');
  }
  return prepared;
}
