import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('events: configuration', () => {
  it('keeps events 30 days, refuses http and private webhook endpoints by default', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.events.retentionDays, 30);
    assert.equal(config.webhooks.allowHttp, false);
    assert.equal(config.webhooks.allowPrivateNetworks, false);
    assert.equal(config.webhooks.maxAgeMs, 24 * 3_600_000);
  });

  it('reads EVENTS_RETENTION_DAYS and the webhook SSRF switches from the environment', () => {
    const config = loadConfig({ env: { EVENTS_RETENTION_DAYS: '7', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'yes' } });
    assert.equal(config.events.retentionDays, 7);
    assert.equal(config.webhooks.allowHttp, true);
    assert.equal(config.webhooks.allowPrivateNetworks, true);
  });

  it('names the variable and the reason for a retention of 0 days', () => {
    assert.throws(
      () => loadConfig({ env: { EVENTS_RETENTION_DAYS: '0' } }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('EVENTS_RETENTION_DAYS (events.retentionDays)') && /1/.test(p)),
    );
  });
});
