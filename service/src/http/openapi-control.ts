import type { z } from 'zod';
import * as c from './control-schemas.js';
import { bearer, ERROR_REF, errors, json, ok, schema, type Json } from './openapi-helpers.js';

const EVENTS_DESCRIPTION = `Server-Sent Events: \`transition\` (a model's health changed), \`fallback\` (an interview
did not start on its primary as planned; the full FallbackEvent), \`registry\` (a reload, drain or undrain), and
\`gap\` (a resume asked for events older than the journal keeps). Each event has an \`id:\`; reconnect with
\`Last-Event-ID\` (browsers do it themselves) to get every event after it from the store, then the live tail, with
nothing lost in between. A comment line is sent every 15 s as a heartbeat. A client that leaves more than 1 MiB
unread is disconnected (it resumes with Last-Event-ID). Without Last-Event-ID, the stream starts with the next event.`;

/** Registry at run time (models, drains, reload) and the event stream. */
export function controlPaths(model: Json): Json {
  const reasonBody = (t: z.ZodType, required: boolean) => ({ required, content: json(schema(t, 'input')) });
  const modelOut = { $ref: '#/components/schemas/RegisteredModel' };
  return {
    '/v1/models': {
      get: {
        summary: 'The registry: each model with endpoint, tier, probe plan, thresholds, state and drain; never a key',
        responses: {
          200: ok('Models', {
            type: 'object',
            properties: { models: { type: 'array', items: modelOut } },
            required: ['models'],
          }),
        },
      },
    },
    '/v1/models/{modelId}': {
      get: {
        summary: 'One registered model',
        parameters: [model],
        responses: { 200: ok('Model', modelOut), ...errors(404) },
      },
    },
    '/v1/models/{modelId}/drain': {
      post: {
        summary: 'Take a model out of rotation (persisted): not chosen for starts but as a last resort; still probed',
        security: bearer,
        parameters: [model],
        requestBody: reasonBody(c.drainBody, true),
        responses: { 200: ok('Drained', modelOut), ...errors(400, 401, 404, 413, 415) },
      },
    },
    '/v1/models/{modelId}/undrain': {
      post: {
        summary: 'Put a drained model back in rotation (no change if it was not drained)',
        security: bearer,
        parameters: [model],
        requestBody: reasonBody(c.undrainBody, false),
        responses: { 200: ok('In rotation', modelOut), ...errors(400, 401, 404, 413, 415) },
      },
    },
    '/v1/admin/reload': {
      post: {
        summary: 'Re-read the config file (as SIGHUP does); an invalid file changes nothing',
        security: bearer,
        responses: {
          200: ok('Applied', schema(c.reloadReport)),
          409: { description: 'The service was not started from a config file', content: json(ERROR_REF) },
          422: {
            description: 'Invalid file: details.problems names each field and reason; the running config stays',
            content: json(ERROR_REF),
          },
          ...errors(401),
        },
      },
    },
    '/': {
      get: {
        summary: 'The status page (HTML): every model, recent fallbacks, the timeline; live over /v1/events',
        responses: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/status/panel': {
      get: {
        summary: "The status page's live part (HTML), fetched again by the page on every event",
        responses: {
          200: { description: 'The panel', content: { 'text/html': { schema: { type: 'string' } } } },
          ...errors(401),
        },
      },
    },
    '/static/{name}': {
      get: {
        summary: "The status page's script and style sheet",
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string', enum: ['status.js', 'status.css'] } },
        ],
        responses: {
          200: {
            description: 'The file',
            content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } },
          },
          ...errors(404),
        },
      },
    },
    '/v1/events': {
      get: {
        summary: 'Live event stream (SSE) with resume',
        description: EVENTS_DESCRIPTION,
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})$' },
            description: 'Resume after this event id',
          },
          {
            name: 'lastEventId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})$' },
            description: 'The same, for clients that cannot set headers',
          },
        ],
        responses: {
          200: {
            description: 'text/event-stream; `data:` is JSON: Transition, FallbackEvent or RegistryEvent by `event:`',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors(400, 401),
        },
      },
    },
  };
}
