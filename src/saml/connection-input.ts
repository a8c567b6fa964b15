import type { JitPolicy } from '../db/entities/index.ts';
import { ValidationError } from '../directory/errors.ts';
import type { SamlConnectionInput } from '../directory/saml-connections.ts';
import { parseIdpMetadata } from './metadata.ts';

/** The IdP side as an admin gives it: a metadata document, or its three fields by hand. */
export interface SamlSettingsInput {
  idpMetadataXml?: string | undefined;
  idpEntityId?: string | undefined;
  idpSsoUrl?: string | undefined;
  idpCertificates?: string[] | undefined;
  idpMetadataUrl?: string | undefined;
  allowIdpInitiated?: boolean | undefined;
  allowSha1?: boolean | undefined;
  jit?: JitPolicy | undefined;
  attributeMapping?: Record<string, string> | undefined;
  allowedRedirectUrls?: string[] | undefined;
}

/** Shared by the admin API and the CLI: metadata XML **or** the fields, never both. */
export function toConnectionInput(input: SamlSettingsInput): SamlConnectionInput {
  const manual = input.idpEntityId !== undefined || input.idpSsoUrl !== undefined || input.idpCertificates !== undefined;
  const { idpMetadataXml, ...rest } = input;
  if (idpMetadataXml !== undefined) {
    if (manual) throw ValidationError.field('idpMetadataXml', 'give either idpMetadataXml or idpEntityId, idpSsoUrl and idpCertificates, not both');
    const parsed = parseIdpMetadata(idpMetadataXml);
    if (!parsed.ok) throw ValidationError.field('idpMetadataXml', parsed.detail);
    return { ...rest, idpEntityId: parsed.value.entityId, idpSsoUrl: parsed.value.ssoUrl, idpCertificates: parsed.value.certificates };
  }
  const missing = (['idpEntityId', 'idpSsoUrl', 'idpCertificates'] as const).filter((f) => input[f] === undefined);
  if (missing.length) {
    throw new ValidationError(missing.map((field) => ({ field, reason: 'is required unless idpMetadataXml is given' })));
  }
  return { ...rest, idpEntityId: input.idpEntityId!, idpSsoUrl: input.idpSsoUrl!, idpCertificates: input.idpCertificates! };
}
