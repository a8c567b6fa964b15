import assert from 'node:assert/strict';
import pg from 'pg';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { repoRoot, runCli } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { lockDataDir } from '../../src/db/data-dir-lock.ts';

/** The `gatehouse` command, spawned as a process, on PostgreSQL when DATABASE_URL is set, else on PGlite. */
describe('gatehouse CLI', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: Record<string, string | undefined>;
  // The embedded store's own tests run on every database choice (CI sets DATABASE_URL): their own DATA_DIR, no DATABASE_URL.
  let embeddedDir: string;
  let embeddedEnv: Record<string, string | undefined>;
  let dropDatabase: (() => Promise<void>) | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    env = { DATA_DIR: dataDir, NODE_ENV: 'test' };
    embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-embedded-'));
    embeddedEnv = { DATA_DIR: embeddedDir, NODE_ENV: 'test' };
    if (usingPostgres) {
      const db = await createPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      dropDatabase = db.drop;
    }
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(embeddedDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  const json = (stdout: string) => {
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, `expected exactly one line of JSON, got:\n${stdout}`);
    return JSON.parse(lines[0]!);
  };

  it('creates an org on a fresh store (migrating it) and prints one JSON object with --json', async () => {
    const res = await runCli(['org', 'create', '--slug', 'acme', '--name', 'Acme Corp', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const org = json(res.stdout);
    assert.equal(org.slug, 'acme');
    assert.equal(org.name, 'Acme Corp');
  });

  it('refuses a duplicate slug on stderr with a non-zero exit and nothing on stdout', async () => {
    const res = await runCli(['org', 'create', '--slug', 'acme', '--name', 'Again', '--json'], env);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /slug "acme" already exists/);
  });

  it('names the bad field for an invalid slug', async () => {
    const res = await runCli(['org', 'create', '--slug', 'Not Valid', '--name', 'X'], env);
    // What was given is wrong: 2, as for a flag the CLI itself refuses; one line, no usage text.
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, /slug: must be 1-63 lower-case/);
  });

  it('creates a token, prints the secret once, lists it without the secret, and revokes it', async () => {
    const created = await runCli(['token', 'create', '--org', 'acme', '--scope', 'scim', '--name', 'Okta', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const { token, id } = json(created.stdout);
    assert.match(token, /^gh_scim_/);

    const listed = await runCli(['token', 'list', '--org', 'acme', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(token));
    const { tokens } = json(listed.stdout);
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0].name, 'Okta');
    assert.equal(tokens[0].revokedAt, null);

    const revoked = await runCli(['token', 'revoke', '--org', 'acme', '--id', id, '--json'], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    const { revokedAt } = json(revoked.stdout);
    assert.ok(revokedAt);

    // Revoking again changes nothing and says so, with when it was revoked, instead of "Revoked" as if it were just now.
    const again = await runCli(['token', 'revoke', '--org', 'acme', '--id', id], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), `Token "Okta" (${id}) was already revoked at ${revokedAt}.`);

    const notAnId = await runCli(['token', 'revoke', '--org', 'acme', '--id', 'not-a-uuid'], env);
    assert.equal(notAnId.code, 1);
    assert.equal(notAnId.stderr.trim().split('\n').length, 1, notAnId.stderr);
    assert.match(notAnId.stderr, /not-a-uuid/);
  });

  it('prints the SCIM base URL and Entra\'s Tenant URL with a new scim token, the two things the IdP asks for', async () => {
    const urlEnv = { ...env, PUBLIC_URL: 'https://id.example.com' };
    const res = await runCli(['token', 'create', '--org', 'acme', '--scope', 'scim', '--name', 'Entra'], urlEnv);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^gh_scim_\S+$/m);
    assert.match(res.stdout, /SCIM base URL: https:\/\/id\.example\.com\/scim\/v2\n/);
    assert.match(res.stdout, /Entra Tenant URL: https:\/\/id\.example\.com\/scim\/v2\?aadOptscim062020\n/);
    const shown = json((await runCli(['token', 'create', '--org', 'acme', '--scope', 'scim', '--json'], urlEnv)).stdout);
    assert.equal(shown.scimBaseUrl, 'https://id.example.com/scim/v2');
    const admin = await runCli(['token', 'create', '--org', 'acme', '--scope', 'admin'], urlEnv);
    assert.doesNotMatch(admin.stdout, /Tenant URL/);
  });

  it('sets, shows and clears the email domains of “Sign in with SSO” (the operator’s, not the org admin’s)', async () => {
    const set = await runCli(['org', 'sso-domains', '--org', 'acme', '--set', 'Acme.example, acme-corp.example', '--json'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout).ssoDomains, ['acme.example', 'acme-corp.example']);
    const shown = await runCli(['org', 'sso-domains', '--org', 'acme'], env);
    assert.equal(shown.stdout.trim(), 'acme: acme.example, acme-corp.example');
    const bad = await runCli(['org', 'sso-domains', '--org', 'acme', '--set', 'https://evil.example'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ssoDomains\.0/);
    const cleared = await runCli(['org', 'sso-domains', '--org', 'acme', '--set', '', '--json'], env);
    assert.deepEqual(JSON.parse(cleared.stdout).ssoDomains, []);
  });

  it('resets a person\'s second factors from the shell, the one way for a person of several orgs', async () => {
    const invited = await runCli(['user', 'invite', '--org', 'acme', '--email', 'mo@acme.example', '--json'], env);
    assert.equal(invited.code, 0, invited.stderr);
    const res = await runCli(['user', 'mfa-reset', '--org', 'acme', '--email', 'mo@acme.example', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual({ ...json(res.stdout), userId: undefined }, { org: 'acme', userId: undefined, email: 'mo@acme.example', factors: 0, recoveryCodes: 0 });
    const unknown = await runCli(['user', 'mfa-reset', '--org', 'acme', '--email', 'nobody@acme.example'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /nobody@acme\.example/);
  });

  it('prints the SP URLs to enter at the IdP with `saml show` before any SAML connection exists', async () => {
    // README "SAML with Microsoft Entra ID": Entra wants the Identifier and Reply URL before it gives out
    // the Federation Metadata XML that `saml set` reads, so `saml show` must print them first.
    const urlEnv = { ...env, PUBLIC_URL: 'https://id.example.com' };
    const res = await runCli(['saml', 'show', '--org', 'acme'], urlEnv);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Entra Identifier\): https:\/\/id\.example\.com\/saml\/acme\n/);
    assert.match(res.stdout, /Entra Reply URL\): https:\/\/id\.example\.com\/saml\/acme\/acs\n/);
    assert.match(res.stdout, /Sign-on URL: https:\/\/id\.example\.com\/saml\/acme\/login\n/);
    assert.match(res.stdout, /gatehouse saml set --org acme --metadata-file/);
    const shown = json((await runCli(['saml', 'show', '--org', 'acme', '--json'], urlEnv)).stdout);
    assert.deepEqual(shown.connections, []);
    assert.deepEqual(shown.defaultConnection, {
      name: 'default',
      configured: false,
      spEntityId: 'https://id.example.com/saml/acme',
      acsUrl: 'https://id.example.com/saml/acme/acs',
      metadataUrl: 'https://id.example.com/saml/acme/metadata',
      loginUrl: 'https://id.example.com/saml/acme/login',
    });
  });

  it('keeps a SAML connection\'s options when `saml set` is run again with new IdP metadata (a certificate rollover)', async () => {
    const certs = path.join(import.meta.dirname, '..', 'fixtures', 'saml');
    const b64 = (file: string) => readFileSync(path.join(certs, file), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');
    const key = (file: string) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${b64(file)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    const metadata = path.join(dataDir, 'federationmetadata.xml');
    writeFileSync(metadata, `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/t/"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${key('idp.crt')}${key('idp-next.crt')}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/t/saml2"/></md:IDPSSODescriptor></md:EntityDescriptor>`);
    const first = await runCli(['saml', 'set', '--org', 'acme', '--idp-entity-id', 'https://sts.windows.net/t/', '--idp-sso-url', 'https://login.microsoftonline.com/t/saml2',
      '--idp-cert-file', path.join(certs, 'idp.crt'), '--allow-idp-initiated', '--jit', 'create', '--redirect-url', 'https://app.acme.example/*', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    // README "SAML with Microsoft Entra ID": when Entra creates the next certificate, run the command again with the new metadata.
    const rolled = json((await runCli(['saml', 'set', '--org', 'acme', '--metadata-file', metadata, '--json'], env)).stdout);
    assert.equal(rolled.idp.certificates.length, 2);
    assert.deepEqual([rolled.jit, rolled.allowIdpInitiated, rolled.allowedRedirectUrls], ['create', true, ['https://app.acme.example/*']]);
    const off = json((await runCli(['saml', 'set', '--org', 'acme', '--metadata-file', metadata, '--no-allow-idp-initiated', '--jit', 'link', '--json'], env)).stdout);
    assert.deepEqual([off.jit, off.allowIdpInitiated, off.allowedRedirectUrls], ['link', false, ['https://app.acme.example/*']]);
    const both = await runCli(['saml', 'set', '--org', 'acme', '--metadata-file', metadata, '--allow-idp-initiated', '--no-allow-idp-initiated'], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /allow-idp-initiated/);
  });

  it('adds an assertion-encryption key, writes its certificate for the IdP, lists it and removes it', async () => {
    const certFile = path.join(dataDir, 'gatehouse-encryption.pem');
    const added = await runCli(['saml', 'encryption-key-add', '--org', 'acme', '--cert-file', certFile], env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /Certificate written to .*gatehouse-encryption\.pem: upload it at the IdP/);
    const written = new X509Certificate(readFileSync(certFile, 'utf8'));
    assert.match((await runCli(['saml', 'show', '--org', 'acme'], env)).stdout, /Encrypted assertions: accepted, 1 encryption key\(s\)/);
    const listed = json((await runCli(['saml', 'encryption-keys', '--org', 'acme', '--json'], env)).stdout);
    assert.equal(listed.keys.length, 1);
    assert.equal(listed.keys[0].fingerprint256, written.fingerprint256);
    assert.doesNotMatch(JSON.stringify(listed), /PRIVATE KEY/);
    const removed = await runCli(['saml', 'encryption-key-remove', '--org', 'acme', '--id', listed.keys[0].id], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match((await runCli(['saml', 'show', '--org', 'acme'], env)).stdout, /Encrypted assertions: refused \(no key\), 0 encryption key\(s\)/);
    const again = await runCli(['saml', 'encryption-key-remove', '--org', 'acme', '--id', listed.keys[0].id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not found/);
  });

  it('configures SAML from --metadata-url and `saml refresh` picks up the certificate the IdP publishes next', async () => {
    const certs = path.join(import.meta.dirname, '..', 'fixtures', 'saml');
    const b64 = (file: string) => readFileSync(path.join(certs, file), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');
    const key = (file: string) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${b64(file)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    const metadata = (files: string[]) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/u/"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${files.map(key).join('')}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/u/saml2"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    let served = metadata(['idp.crt']);
    const server = createServer((req, res) => (req.url === '/federationmetadata.xml' ? res.writeHead(200).end(served) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/federationmetadata.xml`;
    try {
      const set = await runCli(['saml', 'set', '--org', 'acme', '--connection', 'fromurl', '--metadata-url', url, '--json'], env);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(json(set.stdout).idp.metadataUrl, url);
      assert.match(json(set.stdout).idp.metadataRefreshedAt, /^\d{4}-/, 'the background refresh counts its interval from this fetch');
      const missing = await runCli(['saml', 'set', '--org', 'acme', '--connection', 'fromurl', '--metadata-url', url.replace('federationmetadata', 'gone')], env);
      assert.equal(missing.code, 2);
      assert.equal(missing.stderr, 'gatehouse: --metadata-url: answered HTTP 404\n');
      served = metadata(['idp.crt', 'idp-next.crt']);
      const refreshed = await runCli(['saml', 'refresh', '--org', 'acme', '--connection', 'fromurl'], env);
      assert.equal(refreshed.code, 0, refreshed.stderr);
      assert.match(refreshed.stdout, /^Connection "fromurl": updated, 1 certificate\(s\) added, 0 removed\n {2}added [0-9A-F:]+\n$/);
      const again = json((await runCli(['saml', 'refresh', '--org', 'acme', '--json'], env)).stdout);
      assert.deepEqual(again.connections, [{ name: 'fromurl', changed: false, certificatesAdded: [], certificatesRemoved: [] }]);
      served = 'gone for maintenance';
      const failed = await runCli(['saml', 'refresh', '--org', 'acme'], env);
      assert.equal(failed.code, 1);
      assert.equal(failed.stderr, 'gatehouse: connection "fromurl": idpMetadataUrl: did not answer with XML\n');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('prints a connection\'s metadata URL, its last fetch and its last failed fetch with `saml show`, as --json does', async () => {
    // The previous test left "fromurl" fetched, then refreshed from a URL that no longer answered XML.
    const shown = json((await runCli(['saml', 'show', '--org', 'acme', '--json'], env)).stdout);
    const idp = shown.connections.find((c: { name: string }) => c.name === 'fromurl').idp;
    assert.match(idp.metadataRefreshedAt, /^\d{4}-/);
    assert.equal(idp.metadataError.reason, 'did not answer with XML');
    const res = await runCli(['saml', 'show', '--org', 'acme'], env);
    assert.equal(res.code, 0, res.stderr);
    const block = res.stdout.slice(res.stdout.indexOf('Connection "fromurl"'));
    assert.ok(block.includes(`  IdP metadata URL: ${idp.metadataUrl}\n`), block);
    assert.ok(block.includes(`  Metadata last fetched: ${idp.metadataRefreshedAt}\n`), block);
    assert.ok(block.includes(`  Metadata last fetch failed: ${idp.metadataError.at}: did not answer with XML\n`), block);
    // A connection configured from a file has no metadata URL: none of these lines.
    const fromFile = res.stdout.slice(0, res.stdout.indexOf('Connection "fromurl"'));
    assert.match(fromFile, /Connection "default"/);
    assert.doesNotMatch(fromFile, /metadata URL|Metadata last/);
  });

  it('fetches --metadata-url and refreshes under the server\'s rules: WEBHOOKS_ALLOW_HTTP and WEBHOOKS_ALLOW_PRIVATE_NETWORKS, in the admin API\'s words', async () => {
    // config/test.json allows both; the environment overrides it, as on the server.
    const strict = { ...env, WEBHOOKS_ALLOW_HTTP: 'false', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' };
    const http = await runCli(['saml', 'set', '--org', 'acme', '--connection', 'strict', '--metadata-url', 'http://idp.example.com/metadata'], strict);
    assert.equal(http.code, 2);
    assert.equal(http.stderr, "gatehouse: --metadata-url: must be an https URL (http only where the server's operator allows it, for development: WEBHOOKS_ALLOW_HTTP=true)\n");
    const loopback = await runCli(['saml', 'set', '--org', 'acme', '--connection', 'strict', '--metadata-url', 'http://127.0.0.1:9/metadata'], { ...strict, WEBHOOKS_ALLOW_HTTP: 'true' });
    assert.equal(loopback.code, 2);
    assert.match(loopback.stderr, /^gatehouse: --metadata-url: must point to a public address: 127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\)\. .*WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true\)\n$/);
    // "fromurl" keeps the http://127.0.0.1 URL it was configured from: refused before any fetch, as the background refresh would.
    const refresh = await runCli(['saml', 'refresh', '--org', 'acme', '--connection', 'fromurl'], strict);
    assert.equal(refresh.code, 1);
    assert.match(refresh.stderr, /^gatehouse: connection "fromurl": idpMetadataUrl: must be an https URL .*WEBHOOKS_ALLOW_HTTP=true\)\n$/);
  });

  it('names a --metadata-file or --idp-cert-file it cannot read in one line, exit 1, as import and export do', async () => {
    // Before: exit 2 with the command's usage and the bare errno ("--metadata-file /nope.xml: ENOENT").
    const missing = path.join(dataDir, 'no-such-metadata.xml');
    const res = await runCli(['saml', 'set', '--org', 'acme', '--metadata-file', missing], env);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, `gatehouse: --metadata-file ${missing}: cannot read the file (ENOENT: no such file or directory)\n`);
    assert.equal(res.stdout, '');
    const cert = await runCli(['saml', 'set', '--org', 'acme', '--idp-entity-id', 'https://idp.test/', '--idp-sso-url', 'https://idp.test/sso', '--idp-cert-file', dataDir], env);
    assert.equal(cert.code, 1);
    assert.equal(cert.stderr, `gatehouse: --idp-cert-file ${dataDir}: cannot read the file (EISDIR: illegal operation on a directory)\n`);
  });

  it('lists orgs', async () => {
    const res = await runCli(['org', 'list', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(json(res.stdout).orgs.map((o: { slug: string }) => o.slug), ['acme']);
  });

  it('reports an unknown org (exit 1: it could not be done) and an unknown scope (exit 2: what was given is wrong) clearly', async () => {
    const unknownOrg = await runCli(['token', 'create', '--org', 'nope', '--scope', 'admin'], env);
    assert.equal(unknownOrg.code, 1);
    assert.match(unknownOrg.stderr, /Organization "nope" not found/);
    const badScope = await runCli(['token', 'create', '--org', 'acme', '--scope', 'root'], env);
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /scope: must be one of scim, admin/);
  });

  describe('usage errors: one line naming the problem, then the usage of that command alone (exit 2)', () => {
    const lines = (stderr: string) => stderr.trimEnd().split('\n');
    // The database is never reached for a usage error: an unreachable one proves it.
    const away = () => ({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });

    it('names an unknown option and shows only that command\'s usage', async () => {
      const res = await runCli(['org', 'list', '--colour'], away());
      assert.equal(res.code, 2);
      assert.equal(res.stdout, '');
      assert.equal(lines(res.stderr)[0], 'gatehouse: unknown option --colour for "org list"');
      assert.match(res.stderr, /^Usage: gatehouse org list {2,}list organizations$/m);
      assert.doesNotMatch(res.stderr, /token create|saml set|Commands:/);
      assert.match(lines(res.stderr).at(-1)!, /gatehouse --help/);
      assert.ok(lines(res.stderr).length <= 4, res.stderr);
    });

    it('refuses an option of another command instead of ignoring it', async () => {
      const res = await runCli(['token', 'list', '--org', 'acme', '--scope', 'admin'], away());
      assert.equal(res.code, 2);
      assert.equal(lines(res.stderr)[0], 'gatehouse: unknown option --scope for "token list"');
      assert.match(res.stderr, /^Usage: gatehouse token list --org <slug>/m);
      const exported = await runCli(['export', 'audit', '--org', 'acme', '--status', 'active'], away());
      assert.equal(exported.code, 2);
      assert.equal(lines(exported.stderr)[0], 'gatehouse: unknown option --status for "export audit"');
    });

    it('refuses an option given twice instead of keeping the last (token create --scope admin --scope scim)', async () => {
      // The last one won: a slip on the command line made a SCIM token, which rewrites anyone's profile, for an admin one.
      const res = await runCli(['token', 'create', '--org', 'acme', '--scope', 'admin', '--scope', 'scim'], away());
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stdout, '');
      assert.equal(lines(res.stderr)[0], 'gatehouse: option --scope is given twice for "token create" (admin, then scim): give it once');
      assert.match(res.stderr, /^Usage: gatehouse token create --org <slug>/m);
      // Options that take several values still do.
      const certs = await runCli(['saml', 'set', '--org', 'acme', '--idp-entity-id', 'x', '--idp-sso-url', 'https://idp.example/sso', '--idp-cert-file', '/nope-1.pem', '--idp-cert-file', '/nope-2.pem'], away());
      assert.doesNotMatch(certs.stderr, /given twice/);
    });

    it('names a missing required option before opening the database', async () => {
      const res = await runCli(['token', 'create', '--org', 'acme'], away());
      assert.equal(res.code, 2, res.stderr);
      assert.equal(lines(res.stderr)[0], 'gatehouse: --scope is required');
      assert.match(res.stderr, /^Usage: gatehouse token create --org <slug> --scope scim\|admin \[--name <name>\]$/m);
      assert.doesNotMatch(res.stderr, /token list|Cannot reach/);
      const noValue = await runCli(['org', 'create', '--slug', 'acme', '--name'], away());
      assert.equal(noValue.code, 2);
      assert.match(lines(noValue.stderr)[0]!, /^gatehouse: option --name needs a value$/);
      assert.match(noValue.stderr, /^Usage: gatehouse org create --slug <slug> --name <name>/m);
    });

    it('answers an unknown command with the list of commands, an unknown subcommand with its group\'s usage', async () => {
      const unknown = await runCli(['frobnicate'], away());
      assert.equal(unknown.code, 2);
      assert.equal(lines(unknown.stderr)[0], 'gatehouse: unknown command "frobnicate"');
      assert.match(unknown.stderr, /^Commands: serve, migrate, org create, org list, .*export audit$/m);
      assert.doesNotMatch(unknown.stderr, /--slug/);
      const sub = await runCli(['org', 'frobnicate'], away());
      assert.equal(sub.code, 2);
      assert.equal(lines(sub.stderr)[0], 'gatehouse: unknown command "org frobnicate"');
      assert.match(sub.stderr, /gatehouse org create --slug <slug> --name <name>/);
      assert.match(sub.stderr, /gatehouse org sso-domains/);
      assert.doesNotMatch(sub.stderr, /token create/);
      const extra = await runCli(['org', 'list', 'acme'], away());
      assert.equal(extra.code, 2);
      assert.equal(lines(extra.stderr)[0], 'gatehouse: unexpected argument "acme" for "org list"');
    });

    it('refuses a value a command checks itself with the same one line and usage', async () => {
      const res = await runCli(['user', 'invite', '--org', 'acme', '--email', 'x@acme.example', '--role', 'owner'], env);
      assert.equal(res.code, 2);
      assert.equal(lines(res.stderr)[0], 'gatehouse: --role must be one of org_admin, member');
      assert.match(res.stderr, /^Usage: gatehouse user invite --org <slug>/m);
      assert.doesNotMatch(res.stderr, /user access/);
    });

    it('prints the full help on stdout with exit 0 for --help, wherever it is given; with no command, on stderr with exit 2', async () => {
      for (const args of [['--help'], ['-h'], ['org', 'create', '--help'], ['org', 'list', '--colour', '--help']]) {
        const res = await runCli(args, away());
        assert.equal(res.code, 0, args.join(' '));
        assert.match(res.stdout, /^Usage: gatehouse <command> \[options\]/);
        for (const command of ['serve', 'migrate', 'org create', 'token revoke', 'saml set', 'import', 'export users']) assert.ok(res.stdout.includes(command), command);
        assert.equal(res.stderr, '');
      }
      const bare = await runCli([], away());
      assert.equal(bare.code, 2);
      assert.equal(bare.stdout, '');
      assert.equal(lines(bare.stderr)[0], 'gatehouse: no command given');
      assert.match(bare.stderr, /Usage: gatehouse <command> \[options\]/);
    });
  });

  it('ends quietly with status 141, as a Unix tool stopped by SIGPIPE, when the reader of its stdout has gone (gatehouse export … | head -1)', async () => {
    for (const args of [['export', 'audit', '--org', 'acme'], ['org', 'list']]) {
      const child = spawn(process.execPath, ['bin/gatehouse.js', ...args], { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      assert.equal(stderr, '', args.join(' '));
      assert.equal(code, 141, args.join(' '));
    }
  });

  it('reports migration status as JSON', async () => {
    const res = await runCli(['migrate', '--status', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const status = json(res.stdout);
    assert.deepEqual(status.pending, []);
    assert.ok(status.executed.length >= 1);
  });

  it('refuses to open an embedded store that another process holds, saying what to do instead', async () => {
    const lock = await lockDataDir(embeddedDir, 'the Gatehouse server');
    try {
      const res = await runCli(['org', 'list'], embeddedEnv);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /in use by the Gatehouse server \(pid \d+\)/);
      assert.match(res.stderr, /stop that process first|DATABASE_URL/);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      lock.release();
    }
  });

  (!existsSync('/proc/self/ns/pid') ? it.skip : it)('opens an embedded store whose lock an earlier start of the container left (pid 1, alive here), without waiting', async () => {
    const file = path.join(embeddedDir, 'gatehouse.lock');
    writeFileSync(file, JSON.stringify({
      pid: 1, holder: 'the Gatehouse server', since: '2026-12-01T00:00:00.000Z', host: 'c0ffee',
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidNamespace: 'pid:[4026532999]', startTicks: 1, heartbeatMs: 5000,
    }));
    const killed = new Date(Date.now() - 120_000);
    utimesSync(file, killed, killed);
    const res = await runCli(['org', 'list', '--json'], embeddedEnv);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    assert.equal(existsSync(file), false, 'released on exit');
  });

  (usingPostgres ? it : it.skip)('refuses a database that does not exist, never creating it (a misspelt DATABASE_URL)', async () => {
    const missing = new URL(process.env.DATABASE_URL!);
    missing.pathname = `/gatehouse_missing_${Date.now()}`;
    const res = await runCli(['org', 'list'], { ...env, DATABASE_URL: missing.toString() });
    assert.equal(res.code, 1);
    assert.match(res.stderr.trim(), /^gatehouse: Cannot reach the database at .*: database "gatehouse_missing_\d+" does not exist/);
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      const found = await admin.query('select 1 from pg_database where datname = $1', [missing.pathname.slice(1)]);
      assert.equal(found.rowCount, 0, 'the database was created');
    } finally {
      await admin.end();
    }
  });

  it('refuses a mistyped NODE_ENV naming the allowed values (the CLI reads the same configuration as the server)', async () => {
    const res = await runCli(['org', 'list'], { ...env, NODE_ENV: 'prodution' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /NODE_ENV: must be one of development, production, test \(got "prodution"\)/);
    assert.equal(res.stdout, '');
  });

  it('fails with one clear line when DATABASE_URL is unreachable', async () => {
    const res = await runCli(['org', 'list'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^gatehouse: Cannot reach the database at postgres:\/\/postgres@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    assert.equal(res.stderr.trim().split('\n').length, 1);
  });
});
