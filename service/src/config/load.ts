import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ConfigFile } from './schema.js';

/** A configuration problem with the file, the field and the reason; start-up prints every one. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` from the environment. Only names and defaults are
 * substituted, so a key value can never be pasted into the file this way by accident: configs
 * name key variables (`apiKeyEnv`) rather than interpolating them.
 */
export function interpolate(
  text: string,
  env: Record<string, string | undefined>,
): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  return { text: out, missing };
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

export function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function parseConfigText(file: string, raw: string, env: Record<string, string | undefined>): ConfigFile {
  const { text, missing } = interpolate(raw, env);
  const problems = missing.map(
    (name) => `environment variable ${name} is referenced but not set (use \${${name}:-default})`,
  );
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    problems.push(
      ...doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`),
    );
    throw new ConfigError(file, problems);
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) problems.push(...describeIssues(result.error.issues));
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  return result.data;
}

export function loadConfigFile(file: string, env: Record<string, string | undefined>): ConfigFile {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(file, [`(file): cannot read the file (${code})`]);
  }
  return parseConfigText(file, raw, env);
}
