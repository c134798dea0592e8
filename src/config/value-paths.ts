/** Helm value paths (`helm.versionValue`, the keys of `helm.set` and `drill.set`), shared by the schema and the helm adapter. */

/**
 * The keys of a dotted value path, as helm's `--set` reads them: `.` separates, `\.` is a literal
 * dot (`nodeSelector.kubernetes\.io/os`). `image.tag` → `['image', 'tag']`.
 */
export function valuePathKeys(dotted: string): string[] {
  const keys: string[] = [];
  let current = '';
  for (let i = 0; i < dotted.length; i++) {
    const char = dotted[i]!;
    if (char === '\\' && dotted[i + 1] === '.') {
      current += '.';
      i += 1;
    } else if (char === '.') {
      keys.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  keys.push(current);
  return keys;
}

/** Why a helm.set key cannot be a value path, or null: empty segments, list indexes. */
export function valuePathProblem(dotted: string): string | null {
  if (valuePathKeys(dotted).some((key) => key === '')) return 'expected a dotted value path like image.tag (no empty part; write a literal dot as \\.)';
  if (/[[\]]/.test(dotted)) return 'list indexes ([0]) are not supported in helm.set: set the list in a values file (helm.valuesFiles)';
  return null;
}
