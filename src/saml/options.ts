import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import type { SamlConnection } from '../db/entities/index.ts';
import type { SpEndpoints } from '../directory/saml-connections.ts';

/**
 * CONVENTIONS 7 and 11: node-saml is configured from one connection, for one
 * request (as passport-saml's MultiSamlStrategy does), and thrown away; no
 * tenant state lives between requests.
 *
 * node-saml verifies the XML signature against the connection's certificates
 * and reads the signed assertion. Its other checks are switched off on purpose:
 * our named checks (checks.ts) cover audience, time and issuer with the precise
 * reasons we log, and InResponseTo is consumed atomically in the database,
 * which node-saml's get-then-remove cache provider cannot do across instances.
 */
export function samlFor(connection: SamlConnection, endpoints: SpEndpoints, requestId?: string): SAML {
  const config: SamlConfig = {
    issuer: endpoints.spEntityId,
    callbackUrl: endpoints.acsUrl,
    entryPoint: connection.idpSsoUrl,
    idpCert: connection.idpCertificates,
    audience: false,
    acceptedClockSkewMs: -1,
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    // Any NameID format: link by a stable id, treat email as mutable (IDP-NOTES §2).
    identifierFormat: null,
    // Entra refuses an exact PasswordProtectedTransport context for passwordless and MFA sign-ins.
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    authnRequestBinding: 'HTTP-Redirect',
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  };
  return new SAML(config);
}
