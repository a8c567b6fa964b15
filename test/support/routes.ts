import type { Express } from 'express';

export interface MountedRoute {
  method: string;
  /** The full Express path, mount points included (`/api/orgs/:org/users/:id`). */
  path: string;
}

/** The parts of Express 5's router (the `router` package) a walk reads. */
interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function join(prefix: string, path: unknown, where: string): string {
  if (typeof path !== 'string') throw new Error(`A route or router under "${where}" is mounted on a non-string path (${String(path)}): the walk cannot name it`);
  const joined = prefix + (path === '/' ? '' : path);
  return joined || '/';
}

/**
 * Every route the app really answers, found by walking Express 5's router stack:
 * `app.router.stack`, each layer's `route` (a leaf: path and methods) or
 * `handle.stack` (a nested Router, mounted at the layer's `rawPath`). Plain
 * middleware is skipped. Routes from apiRoute() and from a hand-written
 * `router.get` look the same here, which is the point.
 */
export function mountedRoutes(app: Express): MountedRoute[] {
  const root = (app as unknown as { router?: { stack?: Layer[] } }).router?.stack;
  if (!Array.isArray(root)) throw new Error('app.router.stack not found: has the Express major version changed?');
  const out: MountedRoute[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = join(prefix, layer.route.path, prefix || '/');
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on) out.push({ method: method === '_all' ? 'all' : method, path });
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        walk(layer.handle.stack, join(prefix, layer.rawPath, prefix || '/').replace(/^\/$/, ''));
      }
    }
  };
  walk(root, '');
  return out;
}
