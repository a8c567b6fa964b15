import type { AttributeDef, AttributeType, Storage } from './types.ts';

/**
 * Builders for attribute declarations. The defaults are RFC 7643 §2.2's: a singular, optional,
 * case-insensitive, readWrite attribute returned by default, with no uniqueness.
 */
export type AttrOptions = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

export function attr(name: string, type: AttributeType, description: string, options: AttrOptions = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    description,
    ...options,
  };
}

export function str(name: string, description: string, storage?: Storage, options: AttrOptions = {}): AttributeDef {
  return attr(name, 'string', description, storage ? { ...options, storage } : options);
}

export function column(name: string): Storage {
  return { kind: 'column', column: name };
}

export function scimJson(...path: string[]): Storage {
  return { kind: 'jsonPath', column: 'scim_attributes', path };
}

function element(name: string): Storage {
  return { kind: 'element', key: name };
}

/**
 * RFC 7643 §2.4: the sub-attributes multi-valued attributes share — value, display, type and
 * primary — each reached as a key of every array element.
 */
export function multiValued(
  name: string,
  description: string,
  storage: Storage | undefined,
  options: { types?: string[]; valueType?: AttributeType; referenceTypes?: string[]; extra?: AttributeDef[] } = {},
): AttributeDef {
  const value = attr('value', options.valueType ?? 'string', `The value of the ${name} entry.`, {
    storage: element('value'),
    ...(options.valueType === 'binary' ? { caseExact: true } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  });
  const subs = [
    value,
    ...(options.extra ?? []),
    str('display', 'A human-readable name, primarily used for display purposes.', element('display')),
    str('type', `A label indicating the ${name} entry's function.`, element('type'), {
      ...(options.types ? { canonicalValues: options.types } : {}),
    }),
    attr('primary', 'boolean', 'Whether this is the preferred entry; true at most once.', { storage: element('primary') }),
  ];
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: subs,
    ...(storage ? { storage } : {}),
  });
}

/** Extra keys of a jsonArray element (addresses' parts), reached like value/display. */
export function elementStr(name: string, description: string): AttributeDef {
  return str(name, description, element(name));
}

/**
 * RFC 7643 §3.1: id, externalId and meta belong to every resource, outside any schema's
 * attribute list on the wire but declared here so filters and sorting resolve them.
 */
export function commonAttributes(resourceType: string): AttributeDef[] {
  return [
    attr('id', 'string', `Unique identifier of the ${resourceType}, assigned by the service provider.`, {
      caseExact: true,
      mutability: 'readOnly',
      returned: 'always',
      uniqueness: 'server',
      storage: { kind: 'column', column: 'id', uuid: true },
    }),
    str('externalId', `Identifier of the ${resourceType} as defined by the provisioning client.`, column('external_id'), {
      caseExact: true,
    }),
    attr('meta', 'complex', 'Resource metadata.', {
      mutability: 'readOnly',
      subAttributes: [
        str('resourceType', 'The name of the resource type.', undefined, { caseExact: true, mutability: 'readOnly' }),
        attr('created', 'dateTime', 'When the resource was added to the service provider.', {
          mutability: 'readOnly',
          storage: column('created_at'),
        }),
        attr('lastModified', 'dateTime', 'When the resource was last updated.', {
          mutability: 'readOnly',
          storage: column('updated_at'),
        }),
        attr('location', 'reference', 'The URI of the resource.', {
          caseExact: true,
          mutability: 'readOnly',
          referenceTypes: ['uri'],
        }),
        // RFC 7644 §3.14: an opaque ETag (W/"n"); comparisons on it are not meaningful.
        str('version', 'The version (ETag) of the resource.', undefined, { caseExact: true, mutability: 'readOnly' }),
      ],
    }),
  ];
}
