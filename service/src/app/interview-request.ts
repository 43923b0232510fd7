import type { ModelRegistry } from '../domain/model-registry.js';
import type { AsyncStore } from '../store/async-store.js';
import { AppError } from './app-error.js';
import { listFields, requireRegistered } from './registered-models.js';

export interface InterviewRequest {
  simulationId?: string | undefined;
  primary?: string | undefined;
  fallbacks?: string[] | undefined;
  config?: Record<string, unknown> | undefined;
}

/** A request merged with its stored simulation: what the start works from. */
export interface ResolvedInterview {
  simulationId: string | null;
  primary: string;
  callerFallbacks: string[];
  simulationFallbacks: string[];
  interview: Record<string, unknown>;
}

/**
 * Request fields override the stored simulation: `primary` replaces its primary, `fallbacks` are
 * the caller's and are tried before the simulation's, `config` is merged over its interview.
 */
export async function resolveInterview(
  req: InterviewRequest,
  store: AsyncStore,
  registry: ModelRegistry,
): Promise<ResolvedInterview> {
  const sim = req.simulationId ? await store.getSimulation(req.simulationId) : null;
  if (req.simulationId && !sim && !req.primary) {
    throw new AppError(
      404,
      'unknown_simulation',
      `simulationId: simulation "${req.simulationId}" is not stored and the request names no primary`,
      { field: 'simulationId' },
    );
  }
  const primary = req.primary ?? sim?.primary;
  if (!primary)
    throw new AppError(400, 'invalid_request', 'primary: required when no stored simulation is named', {
      field: 'primary',
    });
  requireRegistered(registry, [['primary', primary], ...listFields('fallbacks', req.fallbacks ?? [])]);
  return {
    simulationId: req.simulationId ?? null,
    primary,
    callerFallbacks: req.fallbacks ?? [],
    // A stored simulation may name a model that was unregistered since; skip it rather than fail.
    simulationFallbacks: (sim?.fallbacks ?? []).filter((id) => registry.has(id)),
    interview: { ...(sim?.interview ?? {}), ...(req.config ?? {}) },
  };
}
