/*
 * helm.set as helm receives it: one JSON values file per call instead of `--set-string key=value`,
 * which helm re-parses (a comma starts a new assignment, `=` and backslashes are special, and every
 * value becomes a string, so `false` is truthy in `{{ if }}`). JSON keeps each value whole and typed.
 */

import { valuePathKeys } from '../../config/value-paths';

export type HelmValue = string | number | boolean;
type ValuesTree = { [key: string]: ValuesTree | HelmValue };

/**
 * The nested values document of dotted `entries`, later entries winning (as later `--set` flags
 * do). Objects have no prototype, so a key such as `__proto__` is a plain key.
 */
export function valuesDocument(entries: Record<string, HelmValue>): ValuesTree {
  const root: ValuesTree = Object.create(null);
  for (const [dotted, value] of Object.entries(entries)) {
    const keys = valuePathKeys(dotted);
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next === 'object' && next !== null) node = next;
      else node = node[key] = Object.create(null) as ValuesTree;
    }
    node[keys.at(-1)!] = value;
  }
  return root;
}

/** Reads a dotted path (`image.tag`) out of helm's values JSON, as a string; null when absent. */
export function valueAt(values: unknown, dotted: string): string | null {
  let node: unknown = values;
  for (const key of valuePathKeys(dotted)) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return null;
    node = (node as Record<string, unknown>)[key];
  }
  return node === undefined || node === null ? null : String(node);
}
