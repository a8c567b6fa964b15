import type { Container } from '../../../src/container.ts';
import { hashPassword, storePasswordHash, type ScryptParams } from '../../../src/directory/credentials.ts';
import type { SeededOrg } from '../../support/app.ts';
import { seedUser } from '../../saml/support/sp.ts';

/** A user of `org` with this email, in `state`, and (optionally) a password. */
export async function seedPerson(
  container: Container,
  org: SeededOrg,
  email: string,
  options: { password?: string; state?: 'active' | 'disabled' | 'invited' | 'deleted'; scrypt?: ScryptParams } = {},
) {
  const user = await seedUser(container, org, email, { source: 'admin' });
  if (options.state && options.state !== 'active') {
    await container.fork().execute(`update users set state = ?, deleted_at = case when ? = 'deleted' then now() end where id = ?`, [options.state, options.state, user.id]);
  }
  if (options.password) {
    await storePasswordHash(container.fork(), email, await hashPassword(options.password, options.scrypt ?? container.config.auth.scrypt), new Date());
  }
  return user;
}

export async function setOrgSettings(container: Container, org: SeededOrg, settings: Record<string, unknown>): Promise<void> {
  await container.fork().execute('update organizations set settings = ?::jsonb where id = ?', [JSON.stringify(settings), org.id]);
}

/** The `name=value` of the session cookie a response set. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }): string {
  const header = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const cookie = header.find((c) => c.startsWith('__Host-gatehouse_session=') || c.startsWith('gatehouse_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return cookie.split(';')[0]!;
}
