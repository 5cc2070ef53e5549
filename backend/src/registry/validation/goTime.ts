/**
 * Parsing of the core kinds' timestamps as kube's Go types decode them, with Go's error
 * messages: metav1.Time is RFC 3339 (fractional seconds allowed), metav1.MicroTime must have
 * exactly six fractional digits ("2006-01-02T15:04:05.000000Z07:00"). A bad one fails the
 * decoding of the whole body (400, or 422 for a patch), as in kube-apiserver.
 */

export type GoTimeLayout = 'Time' | 'MicroTime';

const LAYOUTS: Record<GoTimeLayout, string> = {
  Time: '2006-01-02T15:04:05Z07:00',
  MicroTime: '2006-01-02T15:04:05.000000Z07:00',
};

type Element =
  | { literal: string }
  | { digits: number; std: string; range?: [number, number, string] }
  | { fraction: number }
  | { zone: true };

const ELEMENTS: Record<GoTimeLayout, Element[]> = {
  Time: [
    { digits: 4, std: '2006' },
    { literal: '-' },
    { digits: 2, std: '01', range: [1, 12, 'month'] },
    { literal: '-' },
    { digits: 2, std: '02', range: [1, 31, 'day'] },
    { literal: 'T' },
    { digits: 2, std: '15', range: [0, 23, 'hour'] },
    { literal: ':' },
    { digits: 2, std: '04', range: [0, 59, 'minute'] },
    { literal: ':' },
    { digits: 2, std: '05', range: [0, 59, 'second'] },
    { fraction: 0 },
    { zone: true },
  ],
  MicroTime: [],
};
ELEMENTS.MicroTime = ELEMENTS.Time.map(e => ('fraction' in e ? { fraction: 6 } : e));

/** Go's error text for `value`, or undefined when it parses. */
export function goTimeError(value: string, layout: GoTimeLayout): string | undefined {
  const as = `parsing time ${JSON.stringify(value)} as ${JSON.stringify(LAYOUTS[layout])}`;
  let rest = value;
  for (const e of ELEMENTS[layout]) {
    if ('literal' in e) {
      if (!rest.startsWith(e.literal))
        return `${as}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(e.literal)}`;
      rest = rest.slice(e.literal.length);
    } else if ('digits' in e) {
      const m = new RegExp(`^[0-9]{${e.digits}}`).exec(rest);
      if (!m) return `${as}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(e.std)}`;
      const n = Number(m[0]);
      if (e.range && (n < e.range[0] || n > e.range[1]))
        return `parsing time ${JSON.stringify(value)}: ${e.range[2]} out of range`;
      rest = rest.slice(e.digits);
    } else if ('fraction' in e) {
      if (e.fraction === 0) {
        // RFC 3339 in Go accepts any fractional seconds after the seconds.
        const m = /^\.[0-9]+/.exec(rest);
        if (m) rest = rest.slice(m[0].length);
      } else {
        const m = new RegExp(`^\\.[0-9]{${e.fraction}}`).exec(rest);
        if (!m)
          return `${as}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(`.${'0'.repeat(e.fraction)}`)}`;
        rest = rest.slice(m[0].length);
      }
    } else {
      const m = /^(Z|[+-][0-9]{2}:[0-9]{2})/.exec(rest);
      if (!m) return `${as}: cannot parse ${JSON.stringify(rest)} as "Z07:00"`;
      rest = rest.slice(m[0].length);
    }
  }
  if (rest !== '')
    return `parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(rest)}`;
  return undefined;
}
