import type { ConsoleRoute } from '../page.ts';
import { usersRoute } from './users.ts';
import { personRoute } from './person.ts';
import { inviteRoute } from './invite.ts';
import { ssoRoute } from './sso.ts';
import { settingsRoute } from './settings.ts';
import { groupsRoute } from './groups.ts';
import { groupDetailRoute } from './groups-detail.ts';
import { importsRoute } from './imports.ts';
import { importPreviewRoute } from './imports-preview.ts';
import { exportsRoute } from './exports.ts';
import { auditRoute } from './audit.ts';
import { accountPasswordRoute } from './account-password.ts';

/** Every console page; router.ts mounts each under /console. A new page adds itself here. */
export const consoleRoutes: readonly ConsoleRoute[] = [usersRoute, personRoute, inviteRoute, ssoRoute, settingsRoute, groupsRoute, groupDetailRoute, importsRoute, importPreviewRoute, exportsRoute, auditRoute, accountPasswordRoute];
