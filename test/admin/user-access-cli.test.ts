import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNode } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';

/** `gatehouse user access`: how the first org admin of an org is made, from the server's shell. */
describe('gatehouse user access (CLI)', function () {
  this.timeout(900_000);
  let dir: string;
  let env: Record<string, string | undefined>;
  let drop: (() => Promise<void>) | undefined;

  // Generous: the first command migrates a fresh store, which is slow on a busy machine.
  const runCli = (args: string[], env: Record<string, string | undefined>) => runNode('bin/gatehouse.js', args, env, 600_000);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-access-'));
    env = { DATA_DIR: dir, NODE_ENV: 'test' };
    if (usingPostgres) {
      const db = await createPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      drop = db.drop;
    }
    assert.equal((await runCli(['org', 'create', '--slug', 'acme', '--name', 'Acme'], env)).code, 0);
    writeFileSync(path.join(dir, 'people.csv'), 'Email,Full Name\r\nada@acme.test,Ada A\r\nbob@acme.test,Bob B\r\n');
    const imported = await runCli(['import', '--org', 'acme', '--mode', 'upsert', '--file', path.join(dir, 'people.csv'), '--no-invite', '--commit'], env);
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await drop?.();
  });

  const json = (stdout: string) => JSON.parse(stdout.trim());


  it('makes a person org admin by email (any case) and prints one JSON object', async () => {
    const res = await runCli(['user', 'access', '--org', 'acme', '--email', 'ADA@acme.test', '--role', 'org_admin', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const out = json(res.stdout);
    assert.equal(out.orgRole, 'org_admin');
    assert.equal(out.changed, true);
    assert.match(out.userId, /^[0-9a-f-]{36}$/);
  });

  it('grants a member a list of permissions', async () => {
    const res = await runCli(['user', 'access', '--org', 'acme', '--email', 'bob@acme.test', '--role', 'member', '--permissions', 'users.invite,audit.read', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(json(res.stdout).permissions, ['users.invite', 'audit.read']);
  });

  it('refuses to demote the last org admin or an unknown person (exit 1), an unknown permission or role (exit 2)', async () => {
    const last = await runCli(['user', 'access', '--org', 'acme', '--email', 'ada@acme.test', '--role', 'member'], env);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /last org admin/);
    const perm = await runCli(['user', 'access', '--org', 'acme', '--email', 'bob@acme.test', '--role', 'member', '--permissions', 'users.fly'], env);
    assert.equal(perm.code, 2);
    assert.match(perm.stderr, /users\.fly/);
    const role = await runCli(['user', 'access', '--org', 'acme', '--email', 'bob@acme.test', '--role', 'owner'], env);
    assert.equal(role.code, 2);
    assert.match(role.stderr, /--role must be one of org_admin, member/);
    const nobody = await runCli(['user', 'access', '--org', 'acme', '--email', 'nobody@acme.test', '--role', 'member'], env);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /not found/);
  });

  it('invites the first admin of an org from the shell (user invite --role org_admin), and refuses to invite them twice', async () => {
    const res = await runCli(['user', 'invite', '--org', 'acme', '--email', 'Cara@acme.test', '--role', 'org_admin', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const out = json(res.stdout);
    assert.equal(out.email, 'cara@acme.test');
    assert.equal(out.orgRole, 'org_admin');
    assert.match(out.invitationId, /^[0-9a-f-]{36}$/);
    const again = await runCli(['user', 'invite', '--org', 'acme', '--email', 'cara@acme.test'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already invited/);
    const bad = await runCli(['user', 'invite', '--org', 'acme', '--email', 'not-an-address'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an email address/);
  });

  it('says where the invitation link points, and warns when this shell has no PUBLIC_URL (the link is written into the mail now, with this command\'s setting)', async () => {
    const bare = await runCli(['user', 'invite', '--org', 'acme', '--email', 'dora@acme.test'], env);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /its link, http:\/\/localhost:3000\/invitations\/…, opens the registration page/);
    assert.match(bare.stderr, /PUBLIC_URL is not set for this command: the invitation link points to http:\/\/localhost:3000; run the CLI with the server's PUBLIC_URL/);
    const set = await runCli(['user', 'invite', '--org', 'acme', '--email', 'eli@acme.test', '--json'], { ...env, PUBLIC_URL: 'https://gatehouse.acme.test' });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stderr, '');
    assert.equal(json(set.stdout).publicUrl, 'https://gatehouse.acme.test');
    // Set to what the default would be (a server on this host), it is set all the same: no note saying otherwise.
    const local = await runCli(['user', 'invite', '--org', 'acme', '--email', 'fay@acme.test'], { ...env, PUBLIC_URL: 'http://localhost:3000' });
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stderr, '');
  });

  it("names how the server sends the invitation from the server's settings, not this shell's SMTP_URL or DATA_DIR", async () => {
    // Before, the outbox path was this shell's DATA_DIR (the CLI run from another directory or container
    // names a folder the server never writes to), and an SMTP_URL here dropped the server's fallback altogether.
    for (const [email, extra] of [['gil@acme.test', {}], ['hal@acme.test', { SMTP_URL: 'smtp://mail.cli.test:587' }]] as const) {
      const res = await runCli(['user', 'invite', '--org', 'acme', '--email', email], { ...env, ...extra });
      assert.equal(res.code, 0, res.stderr);
      assert.doesNotMatch(res.stdout, /no SMTP_URL set|mail\.cli\.test/);
      assert.ok(!res.stdout.includes(dir), `names this shell's DATA_DIR: ${res.stdout}`);
      assert.match(res.stdout, /The running server sends the invitation by mail through its own SMTP_URL \(without one, it writes it to outbox\/ in its own DATA_DIR\)/);
    }
  });
});
