import type { z } from 'zod';
import {
  depth,
  MAX_FALLBACKS,
  MAX_JSON_DEPTH,
  MODEL_ID_MAX_LENGTH,
  RESOURCE_ID,
  startInterviewBody,
  unsendableTextPath,
} from './schemas.js';
import { parseInput } from './validate.js';

type StartBody = z.infer<typeof startInterviewBody>;
const FIELDS = new Set(Object.keys(startInterviewBody.shape));

/**
 * The start's body, validated. A body that plainly meets the schema is taken as it is; anything else
 * (a missing or unknown field, a wrong type, a limit reached, a key zod would drop) goes through
 * the schema, which names the field in its 400. The schema stays the one definition: this only says
 * "certainly valid" for what it also accepts (start-body.test.ts checks both agree). Why: zod's parse
 * was about 0.1 ms of the start's CPU (bench/README.md, Profiles), more than the rest of the route.
 */
export function parseStartBody(input: unknown): StartBody {
  return plainlyValid(input) ? input : parseInput(startInterviewBody, input, 'body');
}

function plainlyValid(input: unknown): input is StartBody {
  if (!isPlainObject(input)) return false;
  for (const key in input) if (!FIELDS.has(key)) return false;
  const { simulationId, primary, fallbacks, config } = input;
  if (simulationId !== undefined && !(typeof simulationId === 'string' && RESOURCE_ID.test(simulationId))) return false;
  if (primary !== undefined && !isModelId(primary)) return false;
  if (
    fallbacks !== undefined &&
    !(Array.isArray(fallbacks) && fallbacks.length <= MAX_FALLBACKS && fallbacks.every(isModelId))
  )
    return false;
  if (config === undefined) return true;
  // A record keeps every own key but `__proto__`, which zod drops: such a body is left to zod.
  return (
    isPlainObject(config) &&
    !Object.hasOwn(config, '__proto__') &&
    depth(config) <= MAX_JSON_DEPTH &&
    unsendableTextPath(config) === null
  );
}

const isModelId = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= MODEL_ID_MAX_LENGTH;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}
