/**
 * Most devices in a fleet report the same board, firmware version and host functions. Holding
 * one copy of each instead of one per session matters at 10,000 sessions; the table is bounded
 * so a device sending made-up names cannot grow it.
 */
const MAX_ENTRIES = 4096;
const strings = new Map<string, string>();
const lists = new Map<string, readonly string[]>();

export function internString(value: string): string {
  const known = strings.get(value);
  if (known !== undefined) return known;
  if (strings.size < MAX_ENTRIES) strings.set(value, value);
  return value;
}

export function internList(values: readonly string[]): readonly string[] {
  const key = values.join('\u0000');
  const known = lists.get(key);
  if (known) return known;
  const list = Object.freeze(values.map(internString));
  if (lists.size < MAX_ENTRIES) lists.set(key, list);
  return list;
}
