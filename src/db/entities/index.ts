import { BaseSchema } from './base.ts';
import { OrganizationSchema } from './organization.ts';
import { UserSchema } from './user.ts';
import { CredentialSchema } from './credential.ts';
import { GroupSchema } from './group.ts';
import { MembershipSchema } from './membership.ts';
import { InvitationSchema, InvitationMembershipSchema, InvitationReplacedTokenSchema } from './invitation.ts';
import { ApiTokenSchema } from './api-token.ts';
import { SamlConnectionSchema } from './saml-connection.ts';
import { SamlEncryptionKeySchema } from './saml-encryption-key.ts';
import { SessionSchema } from './session.ts';
import { SamlRequestSchema, SamlAssertionSchema, SsoLinkSchema } from './saml-message.ts';
import { AuditEventSchema } from './audit-event.ts';
import { OutboxMessageSchema } from './outbox-message.ts';
import { PasswordResetSchema } from './password-reset.ts';
import { SecondFactorSchema, RecoveryCodeSchema, MfaChallengeSchema } from './second-factor.ts';
import { CsvImportSchema, CsvImportRowSchema } from './import.ts';
import { EventSchema } from './event.ts';
import { EventFeedHeadSchema } from './event-feed-head.ts';
import { EventFeedPrunedSchema } from './event-feed-pruned.ts';
import { WebhookSchema, WebhookDeliverySchema } from './webhook.ts';
import { GroupMappingSchema } from './group-mapping.ts';
import { GroupClaimSchema } from './group-claim.ts';
import { UserCountDeltaSchema } from './user-count.ts';
import { DeploymentSecretSchema } from './deployment-secret.ts';
import { ScimProblemSchema } from './scim-problem.ts';

export const entities = [
  BaseSchema,
  OrganizationSchema,
  UserSchema,
  CredentialSchema,
  GroupSchema,
  MembershipSchema,
  InvitationSchema,
  InvitationMembershipSchema,
  InvitationReplacedTokenSchema,
  ApiTokenSchema,
  SamlConnectionSchema,
  SamlEncryptionKeySchema,
  SessionSchema,
  SamlRequestSchema,
  SamlAssertionSchema,
  SsoLinkSchema,
  AuditEventSchema,
  OutboxMessageSchema,
  PasswordResetSchema,
  SecondFactorSchema,
  RecoveryCodeSchema,
  MfaChallengeSchema,
  CsvImportSchema,
  CsvImportRowSchema,
  GroupMappingSchema,
  GroupClaimSchema,
  EventSchema,
  EventFeedHeadSchema,
  EventFeedPrunedSchema,
  WebhookSchema,
  WebhookDeliverySchema,
  UserCountDeltaSchema,
  DeploymentSecretSchema,
  ScimProblemSchema,
];

export * from './organization.ts';
export * from './user.ts';
export * from './credential.ts';
export * from './group.ts';
export * from './membership.ts';
export * from './invitation.ts';
export * from './api-token.ts';
export * from './saml-connection.ts';
export * from './saml-encryption-key.ts';
export * from './session.ts';
export * from './saml-message.ts';
export * from './audit-event.ts';
export * from './outbox-message.ts';
export * from './password-reset.ts';
export * from './second-factor.ts';
export * from './import.ts';
export * from './event.ts';
export * from './event-feed-head.ts';
export * from './event-feed-pruned.ts';
export * from './webhook.ts';
export * from './group-mapping.ts';
export * from './scim-problem.ts';
export * from './group-claim.ts';
export * from './user-count.ts';
export * from './deployment-secret.ts';
