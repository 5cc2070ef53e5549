/**
 * A tiny sequential runner for the platform suites: each check is one test, run in order
 * (later checks build on the state earlier ones leave). A check whose prerequisite failed is
 * run anyway and fails on its own terms; nothing is skipped and counted as passed.
 */
export interface Outcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export class Suite {
  readonly outcomes: Outcome[] = [];

  constructor(readonly name: string) {}

  async check(name: string, fn: () => Promise<string | void>): Promise<boolean> {
    const start = Date.now();
    try {
      const note = await fn();
      const ms = Date.now() - start;
      this.outcomes.push({ name, ok: true, ms });
      process.stdout.write(
        `ok   ${name} (${(ms / 1000).toFixed(1)} s)${note ? `: ${note}` : ''}\n`,
      );
      return true;
    } catch (err) {
      const ms = Date.now() - start;
      const error = (err as Error).message ?? String(err);
      this.outcomes.push({ name, ok: false, ms, error });
      process.stdout.write(`FAIL ${name} (${(ms / 1000).toFixed(1)} s): ${error}\n`);
      return false;
    }
  }

  /** Counts a check that could not run (its setup failed) as failed. */
  fail(name: string, why: string): void {
    this.outcomes.push({ name, ok: false, ms: 0, error: why });
    process.stdout.write(`FAIL ${name}: ${why}\n`);
  }

  /** The closing line, last of the output. */
  summary(): string {
    const passed = this.outcomes.filter(o => o.ok).length;
    return `${this.name}: ${passed} passed, ${this.outcomes.length - passed} failed`;
  }

  get failed(): number {
    return this.outcomes.filter(o => !o.ok).length;
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
