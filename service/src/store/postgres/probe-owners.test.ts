import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assignOwners } from './probe-owners.js';

const models = (n: number) => Array.from({ length: n }, (_, i) => `p:model-${i}`);
const replicas = (n: number) => Array.from({ length: n }, () => `host-${process.pid}-${randomUUID().slice(0, 8)}`);

function loads(owners: Map<string, string>, live: string[]): number[] {
  return live.map((r) => [...owners.values()].filter((o) => o === r).length);
}

describe('assignOwners', () => {
  it.each([
    { models: 3, replicas: 3 },
    { models: 3, replicas: 2 },
    { models: 2, replicas: 3 },
    { models: 7, replicas: 3 },
    { models: 300, replicas: 3 },
    { models: 1000, replicas: 4 },
  ])('when $models models are shared by $replicas replicas, then no replica has more than its even share', (c) => {
    // Many random replica sets: replica ids are random (see replicas.ts), and one unlucky set is enough.
    for (let trial = 0; trial < 60; trial++) {
      const live = replicas(c.replicas);
      const owners = assignOwners(models(c.models), live);
      expect(owners.size).toBe(c.models);
      const cap = Math.ceil(c.models / c.replicas);
      for (const n of loads(owners, live)) expect(n).toBeLessThanOrEqual(cap);
    }
  });

  it('when every replica computes the owners, then they agree, whatever order each lists the models and replicas in', () => {
    const live = replicas(3);
    const ids = models(50);
    const a = assignOwners(ids, live);
    const b = assignOwners([...ids].reverse(), [...live].reverse());
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
  });

  it('when a fourth replica joins 300 models on three, then about its share moves and no more', () => {
    const live = replicas(3);
    const ids = models(300);
    const before = assignOwners(ids, live);
    const after = assignOwners(ids, [...live, ...replicas(1)]);
    const moved = ids.filter((m) => before.get(m) !== after.get(m)).length;
    // Its even share is 75 (it takes exactly that); bounded loads move a few more (75-90 in 300 trials).
    expect(moved).toBeGreaterThanOrEqual(75);
    expect(moved).toBeLessThanOrEqual(110);
  });

  it('when no replica is live, then no model has an owner', () => {
    expect(assignOwners(models(3), []).size).toBe(0);
  });
});
