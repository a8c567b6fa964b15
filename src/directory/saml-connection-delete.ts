import type { Em } from '../db/orm.ts';
import { recordAuditSql } from './audit.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { assertIfMatch, type IfMatch } from './if-match.ts';
import { getOrgSettings } from './org-settings.ts';
import { validateConnectionName } from './saml-connections.ts';
import type { Scope } from './scope.ts';

/**
 * Removes one of the org's SAML connections (a misspelt one, or the IdP the
 * org left): from the commit on it signs nobody in. Its NameID links and
 * pending requests go with it (cascade); the people stay, and a new connection
 * finds them again by externalId, userName or email as a first sign-in does.
 * The last connection of an org that enforces single sign-on stays: nobody
 * there could sign in without it. `ifMatch` (If-Match): deleted only while still at one of those
 * versions, else StaleVersionError — an admin does not remove a connection someone just reconfigured unseen.
 */
export async function deleteSamlConnection(em: Em, scope: Scope, rawName: string, ifMatch?: IfMatch): Promise<{ deleted: true; name: string; linksRemoved: number }> {
  const name = validateConnectionName(rawName);
  return em.transactional(async (tx) => {
    // Locked with the settings row: an ssoEnforced switched on meanwhile waits for this to finish, and sees it.
    const settings = await getOrgSettings(tx, scope, { lock: true });
    const rows = await tx.execute('select id, idp_entity_id, version from saml_connections where org_id = ? and name = ? for update', [scope.orgId, name]);
    const connection = rows[0];
    assertIfMatch(ifMatch, connection ? Number(connection.version) : undefined, 'SAML connection', name);
    if (!connection) throw new NotFoundError('SamlConnection', name);
    if (settings.ssoEnforced) {
      const others = await tx.execute('select count(*)::int as n from saml_connections where org_id = ? and id <> ?', [scope.orgId, connection.id]);
      if (Number(others[0]?.n ?? 0) === 0) {
        throw new ConflictError('name', 'This organization enforces single sign-on and this is its only connection: nobody could sign in without it. Turn ssoEnforced off first, or add another connection.');
      }
    }
    const links = await tx.execute('select count(*)::int as n from sso_links where org_id = ? and connection_id = ?', [scope.orgId, connection.id]);
    const linksRemoved = Number(links[0]?.n ?? 0);
    await tx.execute('delete from saml_connections where org_id = ? and id = ?', [scope.orgId, connection.id]);
    await recordAuditSql(tx, scope, {
      action: 'saml.deleted',
      target: { type: 'saml_connection', id: String(connection.id), label: name },
      details: { idpEntityId: String(connection.idp_entity_id), linksRemoved },
    });
    return { deleted: true as const, name, linksRemoved };
  });
}
