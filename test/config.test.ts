import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError, scimBodyBudget } from '../src/config.ts';
import { sizeToBytes } from '../src/lib/size.ts';

function problemsOf(env: Record<string, string>, configDir?: string): string[] {
  try {
    loadConfig({ env, ...(configDir ? { configDir } : {}) });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('uses the defaults from config/default.json when the environment is empty', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.port, 3000);
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.bodyLimit, '1mb');
    assert.equal(config.publicUrl, 'http://localhost:3000');
    assert.equal(config.databaseUrl, undefined);
    assert.match(config.dataDir, /data$/);
  });

  it('lets environment variables override files and derives PUBLIC_URL from PORT', () => {
    const config = loadConfig({ env: { PORT: '4100', MIGRATE_ON_START: 'false', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://db/gh' } });
    assert.equal(config.port, 4100);
    assert.equal(config.migrateOnStart, false);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.databaseUrl, 'postgres://db/gh');
    assert.equal(config.publicUrl, 'http://localhost:4100');
  });

  it('reads SCIM bodies up to scim.bodyLimit (5mb, SCIM_BODY_LIMIT), room for scim.maxMembersPerRequest members with display names', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.scim.bodyLimit, '5mb');
    assert.ok(sizeToBytes(config.scim.bodyLimit) >= config.scim.maxMembersPerRequest * 512);
    assert.deepEqual(config.warnings, []);
    assert.equal(loadConfig({ env: { SCIM_BODY_LIMIT: '20mb' } }).scim.bodyLimit, '20mb');
    assert.ok(problemsOf({ SCIM_BODY_LIMIT: '0' }).some((p) => p.startsWith('SCIM_BODY_LIMIT (scim.bodyLimit): must be at least 1kb')));
  });

  it('holds at most scim.bodyBudget (SCIM_BODY_BUDGET, 4 × scim.bodyLimit unset) SCIM body bytes in flight, never less than one body of scim.bodyLimit', () => {
    assert.equal(scimBodyBudget(loadConfig({ env: {} }).scim), 20 * 1024 * 1024);
    assert.equal(scimBodyBudget(loadConfig({ env: { SCIM_BODY_LIMIT: '1mb' } }).scim), 4 * 1024 * 1024);
    assert.equal(scimBodyBudget(loadConfig({ env: { SCIM_BODY_BUDGET: '64mb' } }).scim), 64 * 1024 * 1024);
    assert.ok(problemsOf({ SCIM_BODY_BUDGET: 'lots' }).some((p) => p.startsWith('SCIM_BODY_BUDGET (scim.bodyBudget): must be a size such as 20mb')));
    assert.ok(problemsOf({ SCIM_BODY_BUDGET: '4mb' }).some((p) => p.startsWith('SCIM_BODY_BUDGET (scim.bodyBudget): must be at least scim.bodyLimit (SCIM_BODY_LIMIT, 5mb)')));
    assert.equal(scimBodyBudget(loadConfig({ env: { SCIM_BODY_BUDGET: '5mb' } }).scim), 5 * 1024 * 1024);
  });

  it('warns at start-up when scim.bodyLimit leaves less than 512 bytes per member of scim.maxMembersPerRequest', () => {
    const config = loadConfig({ env: { SCIM_BODY_LIMIT: '1mb' } });
    assert.deepEqual(config.warnings, [
      'scim.bodyLimit (SCIM_BODY_LIMIT) is 1048576 bytes, less than 512 bytes for each of the scim.maxMembersPerRequest 10000 members (5120000 bytes): '
        + 'a group write naming that many members with display names would be refused for its size instead of its member count; raise SCIM_BODY_LIMIT or lower scim.maxMembersPerRequest',
    ]);
  });

  it('waits 30 s for an unreachable database at start-up in production, 5 s elsewhere, DATABASE_STARTUP_WAIT_MS when set', () => {
    assert.equal(loadConfig({ env: { NODE_ENV: 'production' } }).database.startupWaitMs, 30_000);
    assert.equal(loadConfig({ env: {} }).database.startupWaitMs, 5_000);
    assert.equal(loadConfig({ env: { NODE_ENV: 'production', DATABASE_STARTUP_WAIT_MS: '0' } }).database.startupWaitMs, 0);
    assert.ok(problemsOf({ DATABASE_STARTUP_WAIT_MS: '-1' }).some((p) => p.startsWith('DATABASE_STARTUP_WAIT_MS (database.startupWaitMs):')));
    assert.ok(problemsOf({ DATABASE_STARTUP_WAIT_MS: '30s' }).some((p) => p.startsWith('DATABASE_STARTUP_WAIT_MS:')));
  });

  it('strips a trailing slash from PUBLIC_URL', () => {
    assert.equal(loadConfig({ env: { PUBLIC_URL: 'https://id.example.com/' } }).publicUrl, 'https://id.example.com');
  });

  it('reads config/test.json when NODE_ENV=test', () => {
    assert.equal(loadConfig({ env: { NODE_ENV: 'test' } }).logLevel, 'silent');
  });

  it('refuses an unknown NODE_ENV, naming the values config/ has, instead of running on development settings', () => {
    // A typo would otherwise leave config/production.json unread while the operator believes it in force.
    assert.deepEqual(problemsOf({ NODE_ENV: 'prodution' }), [
      'NODE_ENV: must be one of development, production, test (got "prodution"); each but development reads config/<NODE_ENV>.json over config/default.json',
    ]);
    assert.match(problemsOf({ NODE_ENV: 'Production' })[0]!, /^NODE_ENV: must be one of development, production, test \(got "Production"\)/);
    assert.match(problemsOf({ NODE_ENV: 'default' })[0]!, /^NODE_ENV: must be one of/);
    // Reported with the other problems, all at once.
    assert.equal(problemsOf({ NODE_ENV: 'prod', PORT: 'eighty' }).length, 2);
    for (const known of ['development', 'test', 'production', ' production ']) assert.doesNotThrow(() => loadConfig({ env: { NODE_ENV: known } }), known);
    assert.equal(loadConfig({ env: { NODE_ENV: 'production' } }).environment, 'production');
  });

  it('refuses DATABASE_URL set but empty in production, where the operator meant PostgreSQL, and warns elsewhere', () => {
    // An env file templated with nothing (DATABASE_URL=) would run on the embedded store while PostgreSQL was meant.
    for (const empty of ['', '  ']) {
      assert.deepEqual(problemsOf({ NODE_ENV: 'production', DATABASE_URL: empty }), [
        'DATABASE_URL: is set but empty; unset it to use the embedded store (DATA_DIR), or set it to a postgres:// URL',
      ]);
      const config = loadConfig({ env: { DATABASE_URL: empty } });
      assert.equal(config.databaseUrl, undefined);
      assert.deepEqual(config.warnings, [`DATABASE_URL is set but empty: using the embedded store in ${config.dataDir}; unset it to use the embedded store, or set it to a postgres:// URL`]);
    }
    // Empty variables are unset everywhere else, and unset is no warning.
    assert.deepEqual(loadConfig({ env: { NODE_ENV: 'production', PORT: '' } }).warnings, []);
    assert.deepEqual(loadConfig({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/gh' } }).warnings, []);
  });

  it('accepts NODE_ENV naming any config/<name>.json an operator adds', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-config-'));
    try {
      cpSync(path.join(import.meta.dirname, '..', 'config', 'default.json'), path.join(dir, 'default.json'));
      writeFileSync(path.join(dir, 'staging.json'), JSON.stringify({ logLevel: 'warn' }));
      assert.equal(loadConfig({ env: { NODE_ENV: 'staging' }, configDir: dir }).logLevel, 'warn');
      assert.match(problemsOf({ NODE_ENV: 'production' }, dir)[0]!, /^NODE_ENV: must be one of development, staging \(got "production"\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.scim.rateLimit));
  });

  it('names the variable and the reason for a PORT that is not a number', () => {
    const problems = problemsOf({ PORT: 'eighty' });
    assert.deepEqual(problems, ['PORT: must be a whole number (got "eighty")']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', MIGRATE_ON_START: 'maybe' });
    assert.equal(problems.length, 4);
    assert.ok(problems.some((p) => p.startsWith('PORT (port):')));
    assert.ok(problems.some((p) => p.startsWith('LOG_LEVEL (logLevel):')));
    assert.ok(problems.some((p) => p.includes('DATABASE_URL (databaseUrl): must start with postgres://')));
    assert.ok(problems.some((p) => p.startsWith('MIGRATE_ON_START: must be true or false')));
  });

  it('refuses a PUBLIC_URL that is not absolute http(s)', () => {
    assert.ok(problemsOf({ PUBLIC_URL: 'id.example.com' })[0]!.startsWith('PUBLIC_URL (publicUrl):'));
  });

  it('refuses a PUBLIC_URL with a path, query, fragment or credentials: Gatehouse serves from the root of its host', () => {
    // Behind a proxy that strips /gatehouse, SCIM and the SAML URLs worked, but every redirect and
    // page link (/console, /auth/password/login, /console/assets/…) left the prefix and reached nothing.
    for (const url of ['https://example.com/gatehouse', 'https://example.com/gatehouse/', 'https://id.example.com/?tenant=1', 'https://id.example.com/#x', 'https://ops:pw@id.example.com']) {
      const problems = problemsOf({ PUBLIC_URL: url });
      assert.equal(problems.length, 1, url);
      assert.match(problems[0]!, /^PUBLIC_URL \(publicUrl\): must be where Gatehouse is served, scheme, host and port only/, url);
    }
    assert.match(problemsOf({ PUBLIC_URL: 'https://example.com/gatehouse' })[0]!, /got path "\/gatehouse"/);
    assert.doesNotMatch(problemsOf({ PUBLIC_URL: 'https://ops:pw@id.example.com' })[0]!, /pw/);
    for (const ok of ['https://id.example.com', 'https://id.example.com/', 'http://10.0.0.7:8080', 'https://[::1]:3443']) {
      assert.doesNotThrow(() => loadConfig({ env: { PUBLIC_URL: ok } }), ok);
    }
  });

  it('refuses a MAIL_FROM without an address: mail went out with no From header and an empty envelope sender', () => {
    for (const from of ['Gatehouse', 'not an address', 'ops@', 'Ops <ops>']) {
      const problems = problemsOf({ MAIL_FROM: from });
      assert.equal(problems.length, 1, from);
      assert.match(problems[0]!, /^MAIL_FROM \(mailFrom\): must be an address, alone or as Name <address>/, from);
    }
    for (const from of ['ops@example.com', 'Gatehouse <no-reply@id.example.com>', '"Acme, IT" <it@acme.example>']) {
      assert.equal(loadConfig({ env: { MAIL_FROM: from } }).mailFrom, from);
    }
  });

  it('refuses an SMTP_URL without a host', () => {
    const problems = problemsOf({ SMTP_URL: 'smtp://user:secret@' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^SMTP_URL \(smtpUrl\): must name the mail server's host/);
    assert.doesNotMatch(problems[0]!, /secret/);
    assert.equal(loadConfig({ env: { SMTP_URL: 'smtps://user:pw@mail.example:465' } }).smtpUrl, 'smtps://user:pw@mail.example:465');
  });

  it('reads LOG_LEVEL in any case, as it reads MIGRATE_ON_START=FALSE, and names what it got when refused', () => {
    assert.equal(loadConfig({ env: { LOG_LEVEL: 'DEBUG' } }).logLevel, 'debug');
    const problems = problemsOf({ LOG_LEVEL: 'verbose' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^LOG_LEVEL \(logLevel\): .*fatal.*silent.*\(got "verbose"\)$/);
  });

  it('refuses a SESSION_SECRET shorter than 32 characters', () => {
    assert.match(problemsOf({ SESSION_SECRET: 'short' })[0]!, /SESSION_SECRET .*at least 32/);
  });

  it('states the real bound for a negative number, not "must be a number"', () => {
    assert.match(problemsOf({ SCIM_RATE_LIMIT_RPS: '-3' })[0]!, /^SCIM_RATE_LIMIT_RPS \(scim\.rateLimit\.requestsPerSecond\): .*>0/);
    assert.match(problemsOf({ BODY_MAX_DEPTH: '-1' })[0]!, /^BODY_MAX_DEPTH \(bodyMaxDepth\): .*>=4/);
  });

  it('refuses a TRUST_PROXY that is no address, range or name, and reads those that are', () => {
    assert.match(problemsOf({ TRUST_PROXY: 'banana' })[0]!, /^TRUST_PROXY \(trustProxy\): .*comma-separated list of addresses/);
    assert.match(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })[0]!, /^TRUST_PROXY/);
    for (const ok of ['true', '2', 'loopback', '10.0.0.0/8, 192.168.1.7', 'uniquelocal,::1,fd00::/8']) {
      assert.doesNotThrow(() => loadConfig({ env: { TRUST_PROXY: ok } }), ok);
    }
  });

  it('reads TRUST_PROXY=1 as one hop, not as true (which trusts every X-Forwarded-For entry a client writes)', () => {
    // Behind one load balancer the usual setting is 1: the address that balancer appended. Read as a
    // boolean, `1` became `true`, and the client's own left-most X-Forwarded-For entry its IP.
    assert.equal(loadConfig({ env: { TRUST_PROXY: '1' } }).trustProxy, 1);
    assert.equal(loadConfig({ env: { TRUST_PROXY: '0' } }).trustProxy, 0);
    assert.equal(loadConfig({ env: { TRUST_PROXY: '3' } }).trustProxy, 3);
    for (const yes of ['true', 'TRUE', 'yes', 'on']) assert.equal(loadConfig({ env: { TRUST_PROXY: yes } }).trustProxy, true, yes);
    for (const no of ['false', 'no', 'off']) assert.equal(loadConfig({ env: { TRUST_PROXY: no } }).trustProxy, false, no);
  });

  it('names a misspelt setting in a config file instead of ignoring it', () => {
    assert.throws(() => loadConfig({ overrides: { shutdownTimeoutMS: 1, database: { poolmax: 2 } } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual([...error.problems].sort(), ['database.poolmax: is not a setting (misspelt? see config/default.json)', 'shutdownTimeoutMS: is not a setting (misspelt? see config/default.json)']);
      return true;
    });
  });

  it('refuses a malformed BODY_LIMIT', () => {
    assert.match(problemsOf({ BODY_LIMIT: 'lots' })[0]!, /BODY_LIMIT .*size/);
  });

  it('refuses a size setting below 1kb, naming the variable, rather than answering 413 to every body', () => {
    for (const zero of ['0', '0kb', '512b']) {
      const problems = problemsOf({ BODY_LIMIT: zero, IMPORT_MAX_FILE_SIZE: zero });
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.match(problems[0]!, /^BODY_LIMIT \(bodyLimit\): must be at least 1kb: every request with a body would be refused with 413/);
      assert.match(problems[1]!, /^IMPORT_MAX_FILE_SIZE \(imports\.maxFileSize\): must be at least 1kb: every import upload would be refused with 413/);
    }
    assert.throws(() => loadConfig({ env: {}, overrides: { saml: { acsBodyLimit: '0mb' } } }), /saml\.acsBodyLimit: must be at least 1kb/);
    const smallest = loadConfig({ env: { BODY_LIMIT: '1kb', IMPORT_MAX_FILE_SIZE: '1024' } });
    assert.deepEqual([smallest.bodyLimit, smallest.imports.maxFileSize], ['1kb', '1024']);
  });

  it('refreshes SAML metadata URLs daily by default, off with 0, and refuses an interval under a minute naming the variable', () => {
    assert.equal(loadConfig({ env: {} }).saml.metadataRefreshIntervalMs, 86_400_000);
    assert.equal(loadConfig({ env: { SAML_METADATA_REFRESH_INTERVAL_MS: '0' } }).saml.metadataRefreshIntervalMs, 0);
    assert.equal(loadConfig({ env: { SAML_METADATA_REFRESH_INTERVAL_MS: '3600000' } }).saml.metadataRefreshIntervalMs, 3_600_000);
    assert.deepEqual(problemsOf({ SAML_METADATA_REFRESH_INTERVAL_MS: '1000' }), [
      'SAML_METADATA_REFRESH_INTERVAL_MS (saml.metadataRefreshIntervalMs): must be 0 (off) or at least 60000 (a minute)',
    ]);
  });

  it('refuses a webhook claim lease no longer than a delivery pass may take (its requests 16 at a time, each up to the timeout)', () => {
    // Defaults: 50 events per endpoint and pass, 16 in flight, 10 s each: 4 rounds, 40 s; the lease is 60 s.
    const defaults = loadConfig({ env: {} }).webhooks;
    assert.ok(defaults.claimTimeoutMs > Math.ceil(defaults.batchSize / 16) * defaults.timeoutMs);
    assert.deepEqual(problemsOf({ WEBHOOKS_CLAIM_TIMEOUT_MS: '40000' }), [
      'WEBHOOKS_CLAIM_TIMEOUT_MS (webhooks.claimTimeoutMs): must be longer than a delivery pass may take, '
        + 'ceil(webhooks.batchSize / 16) × webhooks.timeoutMs = 4 × 10000 = 40000 ms (raise it, or lower webhooks.timeoutMs or webhooks.batchSize)',
    ]);
    assert.equal(loadConfig({ env: { WEBHOOKS_CLAIM_TIMEOUT_MS: '40001' } }).webhooks.claimTimeoutMs, 40_001);
    assert.throws(() => loadConfig({ env: {}, overrides: { webhooks: { batchSize: 100 } } }), /7 × 10000 = 70000 ms/);
    // The test settings (2 s timeout) allow the 15 s lease the crash test uses.
    assert.equal(loadConfig({ env: { NODE_ENV: 'test', WEBHOOKS_CLAIM_TIMEOUT_MS: '15000' } }).webhooks.claimTimeoutMs, 15_000);
  });

  it('serves no metrics unless METRICS_PORT is set, on 127.0.0.1 unless METRICS_HOST says otherwise', () => {
    assert.deepEqual(loadConfig({ env: {} }).metrics, { host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ env: { METRICS_PORT: '9464' } }).metrics, { port: 9464, host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ env: { METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' } }).metrics, { port: 9464, host: '0.0.0.0' });
    assert.deepEqual(loadConfig({ env: { METRICS_PORT: '9464', METRICS_HOST: '::' } }).metrics, { port: 9464, host: '::' });
    assert.deepEqual(loadConfig({ env: { METRICS_PORT: '9464', METRICS_HOST: 'localhost' } }).metrics, { port: 9464, host: 'localhost' });
  });

  it('refuses a METRICS_PORT that is not a port, or is PORT (metrics are never served on the main port), and a METRICS_HOST that is no address', () => {
    assert.deepEqual(problemsOf({ METRICS_PORT: 'prometheus' }), ['METRICS_PORT: must be a whole number (got "prometheus")']);
    assert.deepEqual(problemsOf({ METRICS_PORT: '70000' }), ['METRICS_PORT (metrics.port): Too big: expected number to be <=65535']);
    assert.deepEqual(problemsOf({ METRICS_PORT: '3000' }), [
      'METRICS_PORT (metrics.port): must differ from PORT (3000): metrics are served on a listener of their own, never on the main port',
    ]);
    assert.deepEqual(problemsOf({ PORT: '8080', METRICS_PORT: '8080' }), [
      'METRICS_PORT (metrics.port): must differ from PORT (8080): metrics are served on a listener of their own, never on the main port',
    ]);
    assert.deepEqual(problemsOf({ METRICS_PORT: '9464', METRICS_HOST: 'http://0.0.0.0' }), [
      'METRICS_HOST (metrics.host): must be an address to listen on (127.0.0.1; 0.0.0.0 in a container) or a host name (got "http://0.0.0.0")',
    ]);
    // Both 0 (tests): each listener takes a free port of its own.
    assert.equal(loadConfig({ env: { PORT: '0', METRICS_PORT: '0' } }).metrics.port, 0);
  });

  it('reports a missing config directory', () => {
    assert.throws(() => loadConfig({ env: {}, configDir: '/nonexistent-config' }), /default\.json: file is missing/);
  });
});
