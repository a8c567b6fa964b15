import assert from 'node:assert/strict';
import { methodLabel, statusLabel, surfaceOf } from '../../src/http/metrics-labels.ts';

describe('metrics labels', () => {
  it('names the surface from the first path segment, never the path or the org', () => {
    const table: Array<[string, string]> = [
      ['/scim/v2/Users/2819c223-7f76-453a-919d-413861904646', 'scim'],
      ['/scim/v2/Users?filter=userName%20eq%20%22a%22', 'scim'],
      ['/SCIM/V2/Groups', 'scim'],
      ['/scim', 'scim'],
      ['/saml/acme/acs', 'saml'],
      ['/auth/password/login', 'auth'],
      ['/api/session', 'auth'],
      ['/api/session/password', 'auth'],
      ['/api/sessions', 'other'],
      ['/api/orgs/acme/users', 'admin_api'],
      ['/API/Orgs/acme', 'admin_api'],
      ['/api/openapi.json', 'admin_api'],
      ['/api', 'other'],
      ['/invitations/gh_inv_secret', 'invitations'],
      ['/console/people', 'console'],
      ['/', 'console'],
      ['/healthz', 'health'],
      ['/readyz?x=1', 'health'],
      ['/wp-admin/setup.php', 'other'],
      ['/constructor', 'other'],
      ['/__proto__', 'other'],
      ['', 'console'],
    ];
    assert.deepEqual(table.map(([url]) => [url, surfaceOf(url)]), table);
  });

  it('keeps methods and statuses to a fixed set', () => {
    assert.deepEqual(['GET', 'POST', 'PATCH', 'PROPFIND', 'MKCOL'].map(methodLabel), ['GET', 'POST', 'PATCH', 'other', 'other']);
    assert.deepEqual([200, 429, null].map(statusLabel), ['200', '429', 'none']);
  });
});
