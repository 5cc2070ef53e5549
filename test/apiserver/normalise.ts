/**
 * Turns one server's observation into what is compared: the rules of differences.ts and
 * nothing more. Placeholders are numbered per case and per kind in order of first appearance,
 * so relations inside an observation survive (the uid in a message is the object's uid; the
 * resourceVersion after a no-op update is the one before it).
 */
import { ORDER_RULES, TEXT_RULES, VALUE_RULES, type ValueSite } from './differences';

export function normalise(caseName: string, observation: unknown): unknown {
  const numbers = new Map<string, Map<string, number>>();
  const placeholder = (kind: string, value: string): string => {
    let byValue = numbers.get(kind);
    if (!byValue) numbers.set(kind, (byValue = new Map()));
    let n = byValue.get(value);
    if (n === undefined) byValue.set(value, (n = byValue.size + 1));
    return `<${kind}:${n}>`;
  };
  const text = (s: string): string =>
    TEXT_RULES.reduce(
      (acc, rule) =>
        acc.replace(rule.pattern, (m: string, ...groups: unknown[]) =>
          rule.replace(
            m,
            placeholder,
            groups.filter((g): g is string => typeof g === 'string'),
          ),
        ),
      s,
    );
  const walk = (value: unknown, path: (string | number)[], ancestors: unknown[]): unknown => {
    const site: ValueSite = { caseName, path, ancestors, value };
    const rule = VALUE_RULES.find(r => r.applies(site));
    if (rule) {
      // A rule that keeps part of a text (a message cut short) still gets the text rules.
      const replaced = rule.replace(value, placeholder);
      return typeof replaced === 'string' ? text(replaced) : replaced;
    }
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) {
      const order = ORDER_RULES.find(r => r.applies(site));
      const items = order ? [...value].sort(order.compare) : value;
      return items.map((v, i) => walk(v, [...path, i], [...ancestors, items]));
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value))
        out[text(k)] = walk(v, [...path, k], [...ancestors, value]);
      return out;
    }
    return value;
  };
  return walk(observation, [], []);
}
