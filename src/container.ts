import type { Config } from './config.ts';
import type { Logger } from './lib/logger.ts';
import type { Store, Em } from './db/orm.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { Readiness } from './http/readiness.ts';

/**
 * CONVENTIONS 10: the composition root. Everything a request handler needs is
 * built here, once, from the config; tests build their own container.
 */
export interface Container {
  config: Config;
  logger: Logger;
  store: Store;
  clock: Clock;
  readiness: Readiness;
  /** A fresh EntityManager with its own identity map, for one request or one job. */
  fork(): Em;
}

export interface ContainerParts {
  config: Config;
  logger: Logger;
  store: Store;
  clock?: Clock;
}

export function createContainer(parts: ContainerParts): Container {
  const { config, logger, store } = parts;
  const clock = parts.clock ?? systemClock;
  return {
    config,
    logger,
    store,
    clock,
    readiness: new Readiness(store, logger),
    fork: () => store.orm.em.fork(),
  };
}
