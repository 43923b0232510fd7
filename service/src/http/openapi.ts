import { z } from 'zod';
import * as c from './control-schemas.js';
import { controlPaths } from './openapi-control.js';
import { bearer, errors, json, ok, schema, startUnavailable, type Json } from './openapi-helpers.js';
import * as s from './schemas.js';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with, so the
 * document cannot drift from what the service accepts.
 */

/** Query parameters from a zod object, one OpenAPI parameter per field. */
function queryParams(t: z.ZodObject): Json[] {
  const props = (schema(t, 'input').properties ?? {}) as Record<string, Json>;
  return Object.entries(props).map(([name, p]) => ({ name, in: 'query', required: false, schema: p }));
}
const pathParam = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});

/**
 * Model ids are documented as the registered ones (an enum), so a client or fuzzer reading the
 * document knows that any other id is refused with 422.
 */
function withModelIds(body: Json, modelIds: string[]): Json {
  const props = { ...((body.properties ?? {}) as Record<string, Json>) };
  const ids = { type: 'string', enum: modelIds };
  if (props.primary) props.primary = { ...props.primary, ...ids };
  for (const list of ['fallbacks', 'models']) if (props[list]) props[list] = { ...props[list], items: ids };
  return { ...body, properties: props };
}

function paths(modelIds: string[]): Json {
  const model = {
    ...pathParam('modelId', 'A registered model id, e.g. openai:gpt-4o'),
    schema: { type: 'string', enum: modelIds },
  };
  const simId = { ...pathParam('id', 'Simulation id'), schema: schema(s.resourceId, 'input') };
  const startBody = {
    ...withModelIds(schema(s.startInterviewBody, 'input'), modelIds),
    anyOf: [{ required: ['primary'] }, { required: ['simulationId'] }],
  };
  return {
    '/healthz': { get: { summary: 'Liveness', responses: { 200: ok('Alive', { type: 'object' }) } } },
    '/readyz': {
      get: {
        summary: 'Readiness: the agent answers and the store can record (checks.agent, checks.storage)',
        responses: { 200: ok('Ready', { type: 'object' }), 503: ok('Not ready, with the reason', { type: 'object' }) },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (OpenMetrics with exemplars when asked)',
        responses: { 200: { description: 'Exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: ok('OpenAPI 3.1', { type: 'object' }) } } },
    '/v1/health': {
      get: {
        summary: 'Health of every registered model, with the numbers behind each verdict',
        responses: {
          200: ok('Models', {
            type: 'object',
            properties: { models: { type: 'array', items: { $ref: '#/components/schemas/ModelHealth' } } },
            required: ['models'],
          }),
        },
      },
    },
    '/v1/health/{modelId}': {
      get: {
        summary: 'Health of one model',
        parameters: [model],
        responses: { 200: ok('Model', { $ref: '#/components/schemas/ModelHealth' }), ...errors(404) },
      },
    },
    '/v1/health/{modelId}/history': {
      get: {
        summary: 'Recorded health transitions, newest first',
        parameters: [model, ...queryParams(s.historyQuery)],
        responses: {
          200: ok('Transitions', {
            type: 'object',
            properties: {
              transitions: { type: 'array', items: schema(s.transition) },
              nextCursor: { type: ['string', 'null'] },
            },
          }),
          ...errors(400, 404),
        },
      },
    },
    '/v1/probes': {
      post: {
        summary: 'Probe now; answers when the probes are done',
        security: bearer,
        requestBody: { required: false, content: json(withModelIds(schema(s.probeBody, 'input'), modelIds)) },
        responses: {
          200: ok('Results', {
            type: 'object',
            properties: { results: { type: 'array', items: schema(s.probeResult) } },
          }),
          ...errors(400, 401, 413, 415, 422),
        },
      },
    },
    '/v1/interviews': {
      post: {
        summary: 'Start an interview on the best model available',
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
          },
        ],
        requestBody: { required: true, content: json(startBody) },
        responses: {
          201: ok('Started (a replay of the same Idempotency-Key answers the first interview)', {
            $ref: '#/components/schemas/Interview',
          }),
          ...errors(400, 401, 404, 413, 415, 422),
          503: startUnavailable,
        },
      },
    },
    '/v1/interviews/{id}': {
      get: {
        summary: 'An interview that was started',
        parameters: [pathParam('id', 'Interview id')],
        responses: { 200: ok('Interview', { $ref: '#/components/schemas/Interview' }), ...errors(404) },
      },
    },
    '/v1/fallbacks': {
      get: {
        summary: 'Recorded fallback events, newest first',
        parameters: queryParams(s.fallbackQuery),
        responses: {
          200: ok('Events', {
            type: 'object',
            properties: {
              events: { type: 'array', items: { $ref: '#/components/schemas/FallbackEvent' } },
              nextCursor: { type: ['string', 'null'] },
            },
            required: ['events'],
          }),
          ...errors(400),
        },
      },
    },
    '/v1/fallbacks/{id}': {
      get: {
        summary: 'One fallback event',
        parameters: [pathParam('id', 'Event id')],
        responses: { 200: ok('Event', { $ref: '#/components/schemas/FallbackEvent' }), ...errors(404) },
      },
    },
    ...controlPaths(model),
    '/v1/simulations': {
      get: {
        summary: 'Stored simulation configurations, by id',
        parameters: queryParams(s.simulationQuery),
        responses: {
          200: ok('Simulations', {
            type: 'object',
            properties: {
              simulations: { type: 'array', items: { $ref: '#/components/schemas/Simulation' } },
              nextCursor: { type: ['string', 'null'] },
            },
            required: ['simulations', 'nextCursor'],
          }),
          ...errors(400),
        },
      },
    },
    '/v1/simulations/{id}': {
      get: {
        summary: 'One simulation',
        parameters: [simId],
        responses: { 200: ok('Simulation', { $ref: '#/components/schemas/Simulation' }), ...errors(400, 404) },
      },
      put: {
        summary: 'Create or replace a simulation',
        security: bearer,
        parameters: [simId],
        requestBody: { required: true, content: json(withModelIds(schema(s.simulationBody, 'input'), modelIds)) },
        responses: {
          200: ok('Replaced', { $ref: '#/components/schemas/Simulation' }),
          201: ok('Created', { $ref: '#/components/schemas/Simulation' }),
          ...errors(400, 401, 413, 415, 422, 503),
        },
      },
      delete: {
        summary: 'Delete a simulation',
        security: bearer,
        parameters: [simId],
        responses: { 204: ok('Deleted'), ...errors(400, 401, 404, 503) },
      },
    },
  };
}

export function buildOpenApi(modelIds: string[]): Json {
  const interview = schema(s.interview);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Modelwatch',
      version: '0.1.0',
      description: 'LLM model health, probes, and interview starts with audited fallback.',
    },
    paths: paths(modelIds),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Needed only when MODELWATCH_API_TOKEN is set' },
      },
      schemas: {
        Error: schema(s.errorResponse),
        ModelHealth: schema(s.healthModel),
        FallbackEvent: schema(s.fallbackEvent),
        Interview: {
          ...interview,
          properties: {
            ...(interview.properties as Json),
            fallbackEvent: { anyOf: [{ $ref: '#/components/schemas/FallbackEvent' }, { type: 'null' }] },
          },
        },
        Simulation: schema(s.simulation),
        RegisteredModel: schema(c.registeredModel),
        Transition: schema(c.transitionEvent),
        RegistryEvent: schema(c.registryEvent),
      },
    },
  };
}
