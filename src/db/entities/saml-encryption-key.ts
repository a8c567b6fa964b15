import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { SamlConnection } from './saml-connection.ts';

/**
 * A key an IdP encrypts assertions to (saml/decrypt.ts): made by Gatehouse,
 * its certificate published in the connection's SP metadata and shown to the
 * admin, its private key never shown nor logged. Several during a rollover:
 * each one decrypts until it is removed.
 */
export const SamlEncryptionKeySchema = defineEntity({
  name: 'SamlEncryptionKey',
  tableName: 'saml_encryption_keys',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    connection: () => p.manyToOne(SamlConnection).deleteRule('cascade'),
    /** PEM, self-signed (lib/self-signed-cert.ts). */
    certificate: p.text(),
    /** PKCS#8 PEM. */
    privateKey: p.text(),
  },
  indexes: [
    { name: 'saml_encryption_keys_org_index', properties: ['org'] },
    { name: 'saml_encryption_keys_connection_index', properties: ['connection'] },
  ],
});

export class SamlEncryptionKey extends SamlEncryptionKeySchema.class {}
SamlEncryptionKeySchema.setClass(SamlEncryptionKey);
