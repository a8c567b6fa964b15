import assert from 'node:assert/strict';
import { checkOutboundUrl, checkUrlShape, guardedLookup, OutboundUrlError } from '../../src/lib/outbound-url.ts';

/**
 * What an org admin registering a webhook endpoint reads when its URL is refused: which rule,
 * what the address is (not "private" for everything), and that the server's operator — not the
 * admin — can allow it.
 */
describe('outbound URLs: refusals an admin can act on', () => {
  const strict = { allowHttp: false, allowPrivateNetworks: false };
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof OutboundUrlError, String(error));
      return error.message;
    }
    throw new Error('not refused');
  };
  const operator = /unless the server's operator allows private networks \(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true\)/;

  it('says http needs the operator’s WEBHOOKS_ALLOW_HTTP', () => {
    assert.match(message(() => checkUrlShape('http://example.com/hook', strict)), /must be an https URL.*WEBHOOKS_ALLOW_HTTP=true/);
  });

  for (const [url, kind] of [
    ['https://127.0.0.1/hook', /127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\)/],
    ['https://[::1]/hook', /::1 is loopback \(::1\)/],
    ['https://10.1.2.3/hook', /10\.1\.2\.3 is private \(RFC 1918\)/],
    ['https://192.168.1.1:8443/hook', /192\.168\.1\.1 is private \(RFC 1918\)/],
    ['https://169.254.169.254/latest', /169\.254\.169\.254 is link-local \(169\.254\.0\.0\/16, where cloud metadata services answer\)/],
    ['https://100.64.0.1/hook', /100\.64\.0\.1 is shared address space for carrier-grade NAT \(100\.64\.0\.0\/10\)/],
    ['https://0.0.0.0/hook', /0\.0\.0\.0 is "this network" \(0\.0\.0\.0\/8\)/],
    ['https://224.0.0.1/hook', /224\.0\.0\.1 is multicast/],
    ['https://203.0.113.9/hook', /203\.0\.113\.9 is reserved for documentation/],
    ['https://[fd00::1]/hook', /fd00::1 is a unique local address \(fc00::\/7\)/],
    ['https://[2001:db8::1]/hook', /2001:db8::1 is reserved for documentation/],
    ['https://[::ffff:7f00:1]/hook', /::ffff:7f00:1 stands for the IPv4 address 127\.0\.0\.1, which is loopback/],
    ['https://[64:ff9b:1::a00:1]/hook', /64:ff9b:1::a00:1 is in the local-use NAT64 prefix/],
  ] as const) {
    it(`names what ${url} is, and that the operator can allow private networks`, () => {
      const text = message(() => checkUrlShape(url, strict));
      assert.match(text, /^must point to a public address: /);
      assert.match(text, kind);
      assert.match(text, operator);
    });
  }

  it('says what a host name resolved to, when saving and when connecting', async () => {
    await assert.rejects(checkOutboundUrl('https://localhost/hook', strict), (error: Error) => {
      assert.match(error.message, /^host localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
      assert.match(error.message, operator);
      return true;
    });
    const lookup = guardedLookup(strict, (_host, _options, callback) => callback(null, [{ address: '10.0.0.7', family: 4 }]));
    const refused = await new Promise<Error | null>((resolve) => lookup('hooks.example.com', { all: true }, (error) => resolve(error)));
    assert.match(refused!.message, /^hooks\.example\.com resolves to 10\.0\.0\.7, which is private \(RFC 1918\)/);
    assert.match(refused!.message, operator);
  });
});
