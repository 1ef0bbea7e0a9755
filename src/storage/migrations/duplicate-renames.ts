/**
 * Names for the rows an earlier race left sharing a name, so a unique index can be built over
 * them: among `siblings` (rows that must have distinct names, in the order that decides who keeps
 * a name), the first of each name keeps it and every later one becomes "<its name> (n)" with the
 * smallest n ≥ 2 whose result is free. `key` says when two names are the same (e.g. lower-case).
 * Returns only the rows to rename. Used by the migrations that add name indexes.
 */
export function duplicateRenames(
  siblings: readonly { id: string; name: string }[],
  key: (name: string) => string = (name) => name,
): { id: string; name: string }[] {
  const taken = new Set(siblings.map((s) => key(s.name)));
  const seen = new Set<string>();
  const nextSuffix = new Map<string, number>();
  const renames: { id: string; name: string }[] = [];
  for (const s of siblings) {
    const k = key(s.name);
    if (!seen.has(k)) {
      seen.add(k);
      continue;
    }
    let n = nextSuffix.get(k) ?? 2;
    while (taken.has(key(`${s.name} (${n})`))) n++;
    const name = `${s.name} (${n})`;
    taken.add(key(name));
    nextSuffix.set(k, n + 1);
    renames.push({ id: s.id, name });
  }
  return renames;
}
