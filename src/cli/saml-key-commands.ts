import { writeFileSync } from 'node:fs';
import { connectionName } from './saml-commands.ts';
import { addEncryptionKey, connectionKeys, removeEncryptionKey, toEncryptionKeyView, type EncryptionKeyView } from '../directory/saml-encryption-keys.ts';
import { CliError, ioReason, orgScope, required, type Command } from './context.ts';

/** `saml encryption-key…`: the admin API's …/saml/:name/encryption-keys for an operator's shell. */


const line = (k: EncryptionKeyView) => `${k.id}  added ${k.createdAt.toISOString()}  until ${k.notAfter.toISOString().slice(0, 10)}  ${k.fingerprint256}`;

export const samlEncryptionKeys: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const name = connectionName(ctx.flags);
  const found = await connectionKeys(ctx.store.orm.em.fork(), scope.orgId, name);
  const { connection } = found;
  const now = new Date();
  const keys = found.keys.map((k) => toEncryptionKeyView(k, now));
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ connection: name, requireEncryptedAssertions: connection.requireEncryptedAssertions, keys }));
    return;
  }
  ctx.io.out(`Connection "${name}": ${keys.length} encryption key(s), encrypted assertions ${connection.requireEncryptedAssertions ? 'required' : 'optional'}`);
  for (const key of keys) ctx.io.out(`  ${line(key)}`);
};

/** Prints the new key's certificate (PEM), or writes it to --cert-file: what the IdP admin uploads. */
export const samlEncryptionKeyAdd: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const key = await addEncryptionKey(ctx.store.orm.em.fork(), scope, connectionName(ctx.flags), new Date());
  const file = typeof ctx.flags['cert-file'] === 'string' ? ctx.flags['cert-file'] : undefined;
  if (file) {
    try {
      writeFileSync(file, key.certificate);
    } catch (error) {
      throw new CliError(`--cert-file ${file}: cannot write the certificate (${ioReason(error)}); the key was added: see saml encryption-keys`);
    }
  }
  if (ctx.io.json) ctx.io.out(JSON.stringify(key));
  else {
    ctx.io.out(`Added ${line(key)}`);
    ctx.io.out(file ? `Certificate written to ${file}: upload it at the IdP.` : `Certificate to upload at the IdP:\n${key.certificate.trimEnd()}`);
  }
};

export const samlEncryptionKeyRemove: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const id = required(ctx.flags, 'id');
  await removeEncryptionKey(ctx.store.orm.em.fork(), scope, connectionName(ctx.flags), id, new Date());
  if (ctx.io.json) ctx.io.out(JSON.stringify({ removed: true, id }));
  else ctx.io.out(`Removed encryption key ${id}: assertions encrypted to it are refused from now on.`);
};
