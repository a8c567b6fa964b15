import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '../src/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
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

  it('strips a trailing slash from PUBLIC_URL', () => {
    assert.equal(loadConfig({ env: { PUBLIC_URL: 'https://id.example.com/' } }).publicUrl, 'https://id.example.com');
  });

  it('reads config/test.json when NODE_ENV=test', () => {
    assert.equal(loadConfig({ env: { NODE_ENV: 'test' } }).logLevel, 'silent');
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

  it('refuses a SESSION_SECRET shorter than 32 characters', () => {
    assert.match(problemsOf({ SESSION_SECRET: 'short' })[0]!, /SESSION_SECRET .*at least 32/);
  });

  it('refuses a malformed BODY_LIMIT', () => {
    assert.match(problemsOf({ BODY_LIMIT: 'lots' })[0]!, /BODY_LIMIT .*size/);
  });

  it('refuses a webhook claim lease no longer than one delivery may take', () => {
    assert.deepEqual(problemsOf({ WEBHOOKS_CLAIM_TIMEOUT_MS: '5000' }), ['WEBHOOKS_CLAIM_TIMEOUT_MS (webhooks.claimTimeoutMs): must be longer than webhooks.timeoutMs']);
    assert.equal(loadConfig({ env: { WEBHOOKS_CLAIM_TIMEOUT_MS: '15000' } }).webhooks.claimTimeoutMs, 15_000);
  });

  it('reports a missing config directory', () => {
    assert.throws(() => loadConfig({ env: {}, configDir: '/nonexistent-config' }), /default\.json: file is missing/);
  });
});
