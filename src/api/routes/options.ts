import type { Registry } from 'prom-client';
import type { KeyChecker } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';

/** What every route plugin is registered with. */
export interface RouteOptions {
  deps: ApiDeps;
  keys: KeyChecker;
  metrics: Registry;
}

/** The OpenAPI security of a route needing a key. */
export const SECURED = [{ apiKey: [] }];
