import type { ModelRegistry } from '../domain/model-registry.js';
import { unregisteredModel } from './app-error.js';

/**
 * The one check that request fields name registered models, for interviews, simulations and probes
 * alike: a 422 naming the first field that does not, with the ids that are registered.
 */
export function requireRegistered(
  registry: ModelRegistry,
  named: ReadonlyArray<readonly [field: string, id: string]>,
): void {
  for (const [field, id] of named) {
    if (!registry.has(id)) throw unregisteredModel(field, id, registry.ids());
  }
}

/** `fallbacks[0]`, `fallbacks[1]`…: each id of a list named by its field. */
export function listFields(field: string, ids: readonly string[]): Array<readonly [string, string]> {
  return ids.map((id, i) => [`${field}[${i}]`, id] as const);
}
