import type { ApiRoute } from './route.ts';
import { orgApiRoutes } from './org.ts';

/**
 * Every admin API route declared with apiRoute(): mounted by router.ts and
 * described by the OpenAPI document. A new route module adds its list here.
 */
export const adminApiRoutes: readonly ApiRoute[] = [...orgApiRoutes];
