/**
 * The duplicate object keys of a JSON text, as kube's strict decoder names them
 * (`spec.board`, `spec.env[0].name`), in the order they appear. JSON.parse keeps the last
 * value silently; kube refuses duplicates under fieldValidation=Strict and warns otherwise,
 * so the HTTP layer finds them in the text the registry never sees. The text must already
 * be valid JSON (JSON.parse accepted it).
 */
export function duplicateFields(text: string): string[] {
  type Frame =
    | { kind: 'object'; keys: Set<string>; path: string; key?: string }
    | { kind: 'array'; path: string; index: number };
  const found: string[] = [];
  const stack: Frame[] = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.key}` : top.key!;
  };
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.kind === 'object') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        top.key = key;
        if (top.keys.has(key)) found.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{') {
      stack.push({ kind: 'object', keys: new Set(), path: childPath() });
      expectKey = true;
    } else if (c === '[') {
      stack.push({ kind: 'array', path: childPath(), index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index++;
      else expectKey = true;
    }
    i++;
  }
  return found;
}

/** Go's encoding/json nesting limit, which kube's decoders inherit. */
export const MAX_JSON_DEPTH = 10_000;

/**
 * The bracket that first nests deeper than `limit` in a JSON text, or undefined. Checked
 * before anything recursive walks the parsed value, so no body can exhaust the stack.
 */
export function excessiveNesting(text: string, limit = MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') {
      if (++depth > limit) return c;
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

/** The same bound for an already-parsed value (a YAML body), walked without recursion. */
export function nestingExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
