import type { ConsoleRoute } from '../page.ts';
import { usersRoute } from './users.ts';

/** Every console page; router.ts mounts each under /console. A new page adds itself here. */
export const consoleRoutes: readonly ConsoleRoute[] = [usersRoute];
