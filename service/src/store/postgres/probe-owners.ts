import { createHash } from 'node:crypto';

const score = (modelId: string, replicaId: string): bigint =>
  createHash('sha1').update(`${modelId}\u0000${replicaId}`).digest().readBigUInt64BE(0);

/**
 * Which live replica probes each model: rendezvous hashing with bounded loads. Each model goes to
 * its highest-scoring replica that still has room, and no replica takes more than ceil(models /
 * replicas). Every replica computes the same answer from the same live set; a replica joining or
 * leaving moves about its share. Plain rendezvous hashing is not enough with few models: three
 * models on three replicas all land on one replica one time in nine.
 */
export function assignOwners(modelIds: readonly string[], replicaIds: readonly string[]): Map<string, string> {
  const owners = new Map<string, string>();
  if (replicaIds.length === 0) return owners;
  const models = [...new Set(modelIds)].sort();
  const cap = Math.ceil(models.length / replicaIds.length);
  const load = new Map(replicaIds.map((r) => [r, 0]));
  for (const m of models) {
    const ranked = replicaIds
      .map((r) => ({ r, s: score(m, r) }))
      .sort((a, b) => (a.s === b.s ? a.r.localeCompare(b.r) : a.s > b.s ? -1 : 1));
    const owner = ranked.find(({ r }) => load.get(r)! < cap)!.r;
    load.set(owner, load.get(owner)! + 1);
    owners.set(m, owner);
  }
  return owners;
}
