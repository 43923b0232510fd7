import { describe, expect, it } from 'vitest';
import { chooseStore } from './store-choice.js';

const URL = 'postgresql://mw:secret@db:5432/modelwatch';
const store = (kind?: 'sqlite' | 'postgres') => ({ store: { kind, synchronous: 'normal' as const, poolSize: 7 } });

describe('which store a process uses', () => {
  it.each([
    ['nothing set', undefined, undefined, { kind: 'sqlite', dataDir: 'data', synchronous: 'normal' }],
    ['DATABASE_URL alone', undefined, URL, { kind: 'postgres', url: URL, poolSize: 7 }],
    ['store.kind postgres and DATABASE_URL', 'postgres' as const, URL, { kind: 'postgres', url: URL, poolSize: 7 }],
    [
      'store.kind sqlite, even with DATABASE_URL',
      'sqlite' as const,
      URL,
      { kind: 'sqlite', dataDir: 'data', synchronous: 'normal' },
    ],
  ])('when %s, then the choice follows', (_name, kind, databaseUrl, expected) => {
    expect(chooseStore(store(kind), { dataDir: 'data', databaseUrl })).toEqual(expected);
  });

  it('when store.kind is postgres without DATABASE_URL, then start-up stops naming the variable', () => {
    expect(() => chooseStore(store('postgres'), { dataDir: 'data', databaseUrl: undefined })).toThrow(
      /DATABASE_URL: required when store.kind is postgres/,
    );
  });
});
