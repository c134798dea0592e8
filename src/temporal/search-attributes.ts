import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/messages';

const INDEXED_TYPES = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>>;

/** The search attributes DESIGN.md lists (the workflows' own keys, messages.ts), as the operator service registers them. */
export const REQUIRED_SEARCH_ATTRIBUTES: Record<string, temporal.api.enums.v1.IndexedValueType> = Object.fromEntries(
  Object.values(SEARCH_ATTRIBUTES).map((key) => {
    const indexed = INDEXED_TYPES[key.type];
    if (indexed === undefined) throw new Error(`search attribute ${key.name}: type ${key.type} has no mapping here`);
    return [key.name, indexed];
  }),
);

/** Registers the search attributes that are missing (the dev server ignores --search-attribute on an existing DB). Used by the worker and `start`. */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.fromEntries(Object.entries(REQUIRED_SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name)));
  if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return Object.keys(missing);
}
