import { defineEntity, p } from '@mikro-orm/core';

/**
 * Secrets of the whole deployment, generated once by the migrations
 * (migrations/…_deployment_secret.ts) and shared by every instance through the
 * database. `session` stands in for SESSION_SECRET when that is not set: the
 * opaque audit ids (directory/audit-ids.ts) are keyed by it, so they stay the
 * same across restarts and instances.
 */
export const DeploymentSecretSchema = defineEntity({
  name: 'DeploymentSecret',
  tableName: 'deployment_secrets',
  properties: {
    name: p.string().length(50).primary(),
    value: p.string().length(200),
    createdAt: p.datetime(),
  },
});

export class DeploymentSecret extends DeploymentSecretSchema.class {}
DeploymentSecretSchema.setClass(DeploymentSecret);
