import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Ends the process with exit code 2 (bad usage) and the message, prefixed with the command. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n`);
  process.exit(2);
}

/**
 * The flags of one of the backend's commands, strictly (an unknown flag or a stray argument
 * is a usage error that prints the usage). `--help` prints the usage and returns undefined.
 */
export function parseCommandLine<T extends Options>(
  command: string,
  usage: string,
  options: T,
):
  | ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values']
  | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(command, `${(error as Error).message}\n${usage}`);
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return values as never;
}
