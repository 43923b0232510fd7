// The README's health-threshold table is generated from the threshold declarations. This test fails
// when the README is stale; `make readme-tables` (UPDATE_README=1) rewrites the section instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  THRESHOLD_DECLARATIONS,
  describeRange,
  toFileUnit,
  type ThresholdDeclaration,
} from '../src/domain/health/index.js';

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

describe('README health thresholds', () => {
  it('when the declarations change, then the README table between the markers matches them', () => {
    const readme = readFileSync(README, 'utf8');
    const expected = withTable(readme);
    if (process.env.UPDATE_README === '1' && expected !== readme) writeFileSync(README, expected);
    else expect(readme).toBe(expected);
  });
});
