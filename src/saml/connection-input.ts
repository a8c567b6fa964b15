import type { JitPolicy } from '../db/entities/index.ts';
import { ValidationError, type FieldProblem } from '../directory/errors.ts';
import { validateConnectionInput, type SamlConnectionInput } from '../directory/saml-connections.ts';
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
  requireEncryptedAssertions?: boolean | undefined;
  jit?: JitPolicy | undefined;
  attributeMapping?: Record<string, string> | undefined;
  allowedRedirectUrls?: string[] | undefined;
}

const IDP_FIELDS = new Set(['idpEntityId', 'idpSsoUrl', 'idpCertificates']);

/** `idpCertificates.1` → `idpCertificates`: one problem per field is enough. */
const topField = (field: string) => field.split('.')[0]!;

/** The domain's rules (configureSamlConnection applies them again), as a list instead of a throw. */
function domainProblems(input: SamlConnectionInput, now: Date): FieldProblem[] {
  try {
    validateConnectionInput(input, now);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
}

/**
 * Shared by the admin API and the CLI: metadata XML **or** the fields, never both.
 * One ValidationError names every problem at once — those the caller already
 * found (`earlier`: the body's types), the IdP side's, and the domain's rules on
 * the fields not named yet — so an admin fixes them in one round.
 */
export function toConnectionInput(input: SamlSettingsInput, now: Date, earlier: FieldProblem[] = []): SamlConnectionInput {
  const problems = [...earlier];
  const manual = input.idpEntityId !== undefined || input.idpSsoUrl !== undefined || input.idpCertificates !== undefined;
  const { idpMetadataXml, ...rest } = input;
  let idp: Pick<SamlConnectionInput, 'idpEntityId' | 'idpSsoUrl' | 'idpCertificates'> | null = null;
  if (idpMetadataXml !== undefined) {
    const parsed = manual ? null : parseIdpMetadata(idpMetadataXml);
    if (!parsed) problems.push({ field: 'idpMetadataXml', reason: 'give either idpMetadataXml or idpEntityId, idpSsoUrl and idpCertificates, not both' });
    else if (!parsed.ok) problems.push({ field: 'idpMetadataXml', reason: parsed.detail });
    else idp = { idpEntityId: parsed.value.entityId, idpSsoUrl: parsed.value.ssoUrl, idpCertificates: parsed.value.certificates };
  } else if (!manual && problems.some((p) => p.field === 'idpMetadataUrl')) {
    // A metadata URL that could not be fetched (http/admin/saml.ts) is the IdP side's one problem.
  } else {
    const named = new Set(problems.map((p) => topField(p.field)));
    for (const field of IDP_FIELDS) {
      if (input[field as keyof SamlSettingsInput] === undefined && !named.has(field)) problems.push({ field, reason: 'is required unless idpMetadataXml is given' });
    }
    idp = { idpEntityId: input.idpEntityId ?? '', idpSsoUrl: input.idpSsoUrl ?? '', idpCertificates: input.idpCertificates ?? [] };
  }
  const candidate: SamlConnectionInput = { ...rest, ...(idp ?? { idpEntityId: '', idpSsoUrl: '', idpCertificates: [] }) };
  const named = new Set(problems.map((p) => topField(p.field)));
  // Without a usable IdP side (bad metadata), its fields have no values of their own to judge.
  problems.push(...domainProblems(candidate, now).filter((p) => !named.has(topField(p.field)) && (idp || !IDP_FIELDS.has(topField(p.field)))));
  if (problems.length) throw new ValidationError(problems);
  return candidate;
}
