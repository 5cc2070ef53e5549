/** kube's limit on a field manager's name (validation.FieldManagerMaxLength). */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * The manager kube-apiserver records when a request names none: the User-Agent up to its
 * first "/" (`kubectl/v1.32.13 (linux/amd64) ...` → `kubectl`), without unprintable
 * characters, cut at 128 bytes. An absent User-Agent gives "" as in kube.
 */
export function defaultFieldManager(userAgent?: string): string {
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!isPrintable(ch)) continue;
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}
