import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { adminApiRoutes } from '../../src/http/admin/routes.ts';
import type { ApiRoute } from '../../src/http/admin/route.ts';
import { permissions, type Permission } from '../../src/directory/permissions.ts';
import { asPerson, asToken, signIn, tokenWith, type SignedIn } from './support.ts';

/**
 * Issue 7's permission table: every declared admin route, called by a session
 * and by a token that lack exactly the permission it states (403 naming it) and
 * by ones that hold only that permission (anything but 403). Parameters are
 * unknown ids, so a caller who gets through meets a 404 or a 400, never a change.
 */
describe('admin API permission table', function () {
  this.timeout(300_000);
  let t: TestApp;
  let acme: SeededOrg;
  const allBut = new Map<Permission, SignedIn>();
  const only = new Map<Permission, SignedIn>();
  const allButToken = new Map<Permission, string>();
  const onlyToken = new Map<Permission, string>();
  let bare: SignedIn;
  let everything: SignedIn;
  let admin: SignedIn;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    for (const p of permissions) {
      allBut.set(p, await signIn(t, acme, `all-but-${p}@acme.test`, { permissions: permissions.filter((q) => q !== p) }));
      only.set(p, await signIn(t, acme, `only-${p}@acme.test`, { permissions: [p] }));
      allButToken.set(p, await tokenWith(t, acme, permissions.filter((q) => q !== p)));
      onlyToken.set(p, await tokenWith(t, acme, [p]));
    }
    bare = await signIn(t, acme, 'bare@acme.test');
    everything = await signIn(t, acme, 'everything@acme.test', { permissions: [...permissions] });
    admin = await signIn(t, acme, 'admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  const pathOf = (route: ApiRoute) => route.spec.path.replace(/:(\w+)/g, (_, name: string) => (name === 'name' ? 'default' : randomUUID()));
  const label = (route: ApiRoute) => `${route.spec.method.toUpperCase()} ${route.spec.path}`;
  const body = (route: ApiRoute) => (route.spec.method === 'get' ? undefined : {});

  function assertRefused(res: Response, needed: string, who: string): void {
    assert.equal(res.status, 403, `${who}: expected 403, got ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'forbidden');
    assert.equal(res.body.error.details.missingPermission, needed, `${who}: ${JSON.stringify(res.body)}`);
  }
  function assertLetThrough(res: Response, who: string): void {
    assert.notEqual(res.status, 403, `${who}: refused ${JSON.stringify(res.body)}`);
    assert.ok(res.status < 500, `${who}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  it('states a permission (or null) for every route, and names only known permissions', () => {
    assert.ok(adminApiRoutes.length >= 40, `only ${adminApiRoutes.length} routes declared`);
    for (const route of adminApiRoutes) {
      const p = route.spec.permission;
      assert.ok(p === null || p === 'org_admin' || (permissions as readonly string[]).includes(p), `${label(route)}: ${String(p)}`);
      assert.ok(route.spec.tag && route.spec.summary && Object.keys(route.spec.responses).length, `${label(route)} lacks a tag, summary or responses`);
    }
  });

  it('refuses a session lacking the route’s permission with 403 naming it, and lets one holding only it through', async () => {
    for (const route of adminApiRoutes) {
      const p = route.spec.permission;
      const call = (who: SignedIn) => asPerson(t, acme, who)(route.spec.method, pathOf(route), body(route));
      if (p === null) {
        assertLetThrough(await call(bare), `${label(route)} by a member without permissions`);
      } else if (p === 'org_admin') {
        assertRefused(await call(everything), 'org_admin', `${label(route)} by a member holding every permission`);
        assertLetThrough(await call(admin), `${label(route)} by an org admin`);
      } else {
        assertRefused(await call(allBut.get(p)!), p, `${label(route)} by a member with all but ${p}`);
        assertRefused(await call(bare), p, `${label(route)} by a member without permissions`);
        assertLetThrough(await call(only.get(p)!), `${label(route)} by a member with only ${p}`);
        assertLetThrough(await call(admin), `${label(route)} by an org admin`);
      }
    }
  });

  it('refuses a token lacking the route’s permission with 403 naming it, and lets one holding only it through', async () => {
    for (const route of adminApiRoutes) {
      const p = route.spec.permission;
      const call = (token: string) => asToken(t, acme, token)(route.spec.method, pathOf(route), body(route));
      if (p === null) {
        assertLetThrough(await call(await tokenWith(t, acme, [])), `${label(route)} by a token without permissions`);
      } else if (p === 'org_admin') {
        // A token holding every permission acts as an org admin; one missing any does not.
        assertRefused(await call(allButToken.get('audit.read')!), 'org_admin', `${label(route)} by a narrowed token`);
        assertLetThrough(await call(acme.tokens.admin), `${label(route)} by a full token`);
      } else {
        assertRefused(await call(allButToken.get(p)!), p, `${label(route)} by a token with all but ${p}`);
        assertLetThrough(await call(onlyToken.get(p)!), `${label(route)} by a token with only ${p}`);
      }
    }
  });

  it('lets a member with every permission do everything but change access', async () => {
    for (const route of adminApiRoutes.filter((r) => r.spec.permission !== 'org_admin')) {
      assertLetThrough(await asPerson(t, acme, everything)(route.spec.method, pathOf(route), body(route)), label(route));
    }
  });
});
