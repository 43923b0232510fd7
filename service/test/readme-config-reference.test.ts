// The README's configuration reference against its sources: the health-threshold table is generated
// from the threshold declarations (this test fails when it is stale; `make readme-tables`, i.e.
// UPDATE_README=1, rewrites it), and the defaults of the other sections are checked against the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  THRESHOLD_DECLARATIONS,
  describeRange,
  toFileUnit,
  type ThresholdDeclaration,
} from '../src/domain/health/index.js';
import {
  agentSettingsSchema,
  apiSettingsSchema,
  interviewSettingsSchema,
  probeSettingsSchema,
  storeSettingsSchema,
} from '../src/config/schema.js';
import { RESTART_SECTIONS } from '../src/app/config-reload.js';

const README = join(import.meta.dirname, '../../README.md');
const BEGIN =
  '<!-- health-thresholds:begin (generated from service/src/domain/health/threshold-declarations.ts: make readme-tables) -->';
const END = '<!-- health-thresholds:end -->';

function defaultCell(declaration: ThresholdDeclaration): string {
  if (typeof declaration.default !== 'number') return declaration.default.text;
  return String(toFileUnit(declaration, declaration.default));
}

/** The markdown table of every threshold: field, unit, default, allowed values, meaning. */
function healthThresholdTable(): string {
  const rows = THRESHOLD_DECLARATIONS.map(
    (d) => `| \`health.${d.configName}\` | ${d.unit} | ${defaultCell(d)} | ${describeRange(d)} | ${d.meaning} |`,
  );
  return ['| field | unit | default | allowed | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

function withTable(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${healthThresholdTable()}\n${readme.slice(end)}`;
}

describe('README configuration reference', () => {
  it('when the declarations change, then the README table between the markers matches them', () => {
    const readme = readFileSync(README, 'utf8');
    const expected = withTable(readme);
    if (process.env.UPDATE_README === '1' && expected !== readme) writeFileSync(README, expected);
    else expect(readme).toBe(expected);
  });

  it.each([
    ['probes', probeSettingsSchema],
    ['interviews', interviewSettingsSchema],
    ['agent', agentSettingsSchema],
    ['api', apiSettingsSchema],
    ['store', storeSettingsSchema],
  ] as const)('when the %s defaults change, then the README rows show them', (section, schema) => {
    const readme = readFileSync(README, 'utf8');
    for (const [field, value] of Object.entries(schema.parse({}))) {
      const row = new RegExp(`^\\| \`${section}\\.${field}\` \\| ([^|]+) \\|`, 'm').exec(readme);
      expect(row, `README row for ${section}.${field}`).not.toBeNull();
      expect(row![1]!.replaceAll('`', '').trim(), `${section}.${field}`).toBe(String(value));
    }
  });

  it('names exactly the sections a reload leaves for a restart', () => {
    const sentence = /Changes to ((?:`\w+`(?:, | and )?)+) need a restart/.exec(readFileSync(README, 'utf8'));
    expect(sentence, 'the reload paragraph names the sections that need a restart').not.toBeNull();
    expect([...sentence![1]!.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual([...RESTART_SECTIONS]);
  });
});
