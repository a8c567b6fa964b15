import type { ApiRoute } from './route.ts';
import { orgApiRoutes } from './org.ts';
import { tokenApiRoutes } from './tokens.ts';
import { scimProblemApiRoutes } from './scim-problems.ts';
import { samlApiRoutes } from './saml.ts';
import { samlEncryptionKeyRoutes } from './saml-encryption-keys.ts';
import { sessionApiRoutes } from './sessions.ts';
import { passwordResetApiRoutes } from './password-reset.ts';
import { peopleApiRoutes } from './people.ts';
import { accessApiRoutes } from './access.ts';
import { settingsApiRoutes } from './settings.ts';
import { invitationApiRoutes } from './invitations.ts';
import { importApiRoutes } from './imports.ts';
import { exportApiRoutes } from './exports.ts';
import { mfaApiRoutes } from './mfa.ts';
import { auditApiRoutes } from './audit.ts';
import { groupApiRoutes } from './groups.ts';
import { membershipApiRoutes } from './memberships.ts';
import { groupMappingApiRoutes } from './group-mappings.ts';
import { eventApiRoutes } from './events.ts';
import { webhookApiRoutes } from './webhooks.ts';

/**
 * Every admin API route declared with apiRoute(): mounted by router.ts and
 * described by the OpenAPI document. A new route module adds its list here.
 */
export const adminApiRoutes: readonly ApiRoute[] = [
  ...orgApiRoutes,
  ...tokenApiRoutes,
  ...scimProblemApiRoutes,
  ...samlApiRoutes,
  ...samlEncryptionKeyRoutes,
  ...sessionApiRoutes,
  ...passwordResetApiRoutes,
  ...peopleApiRoutes,
  ...accessApiRoutes,
  ...settingsApiRoutes,
  ...invitationApiRoutes,
  ...importApiRoutes,
  ...exportApiRoutes,
  ...mfaApiRoutes,
  ...auditApiRoutes,
  ...groupApiRoutes,
  ...membershipApiRoutes,
  ...groupMappingApiRoutes,
  ...eventApiRoutes,
  ...webhookApiRoutes,
];
