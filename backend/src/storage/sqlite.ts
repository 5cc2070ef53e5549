import type * as NodeSqlite from 'node:sqlite';

/**
 * Loads Node 22's built-in `node:sqlite`.
 *
 * Why node:sqlite and not better-sqlite3: better-sqlite3 needs either a native build (node-gyp
 * + headers) or a prebuilt binary downloaded at install time; neither is available on these
 * machines, while node:sqlite ships inside Node 22 itself.
 *
 * Node 22 prints "ExperimentalWarning: SQLite is an experimental feature" the first time the
 * module loads. That warning is emitted synchronously through process.emitWarning while the
 * module is being loaded, so we silence exactly that one warning for exactly that call and
 * leave every other warning of the process alone. process.getBuiltinModule (rather than an
 * import) also keeps test runners that do not know `node:sqlite` from trying to resolve it.
 */
let loaded: typeof NodeSqlite | undefined;

export function loadSqlite(): typeof NodeSqlite {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function (
    this: NodeJS.Process,
    warning: string | Error,
    ...rest: unknown[]
  ) {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string })?.type;
    if (type === 'ExperimentalWarning' && /SQLite/.test(text)) return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule('node:sqlite') as typeof NodeSqlite;
  } finally {
    process.emitWarning = original;
  }
  if (!loaded) throw new Error('node:sqlite is not available (Node 22.5 or later is required)');
  return loaded;
}

export type Database = NodeSqlite.DatabaseSync;
export type Statement = NodeSqlite.StatementSync;
