/**
 * The two-server suite: starts a real kube-apiserver (+ etcd, CRDs, RBAC) and the embedded
 * API server with the same token file, runs every case against both in the same run,
 * normalises each observation (differences.ts), checks each against what a user relies on,
 * and compares the two. Prints `ok|FAIL <case>` per case and the totals.
 *
 *   npx tsx test/apiserver/main.ts [--only TEXT] [--dump DIR] [--keep]
 *
 * --only runs the cases whose name contains TEXT; --dump writes each case's normalised
 * observations to DIR/<case>.json; --keep leaves the work directory (logs) in place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTokenFile } from '../cluster/tokens';
import type { Case, Observation } from './case';
import { ALL_CASES } from './cases';
import { describeDivergences, diverge } from './compare';
import { normalise } from './normalise';
import { startEmbedded, startKube, type ServerKind, type ServerUnderTest } from './servers';

const CASE_TIMEOUT_MS = 90_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Args {
  only?: string;
  dump?: string;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') args.only = argv[++i];
    else if (a === '--dump') args.dump = argv[++i];
    else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** A namespace name from the case's number and name (DNS label, at most 63 characters). */
export function namespaceFor(index: number, name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `c${index}-${slug}`.slice(0, 63).replace(/-+$/, '');
}

interface Outcome {
  observation?: Observation;
  normalised?: unknown;
  error?: string;
}

async function runOn(server: ServerUnderTest, c: Case, ns: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const made = await server.req('admin', 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    });
    if (made.code !== 201)
      throw new Error(`creating namespace ${ns}: HTTP ${made.code} ${JSON.stringify(made.body)}`);
    const observation = await Promise.race([
      c.run(server, ns),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`case did not finish in ${CASE_TIMEOUT_MS / 1000} s`)),
          CASE_TIMEOUT_MS,
        );
      }),
    ]);
    return { observation, normalised: normalise(c.name, observation) };
  } catch (err) {
    return { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function expectationFailure(c: Case, o: Outcome): string | undefined {
  if (o.error) return `error: ${o.error.split('\n').slice(0, 4).join('\n      ')}`;
  try {
    c.expect(o.normalised as Observation);
    return undefined;
  } catch (err) {
    return `expectation: ${err instanceof Error ? err.message.split('\n').slice(0, 6).join('\n      ') : String(err)}`;
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cases = ALL_CASES.filter(c => !args.only || c.name.includes(args.only));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbed-apiconf-'));
  const { file: tokenFile, tokens } = writeTokenFile(workDir);
  const servers: Partial<Record<ServerKind, ServerUnderTest>> = {};
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= Promise.allSettled(Object.values(servers).map(s => s.stop())).then(
      () => undefined,
    ));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stopAll().then(() => process.exit(130));
    });
  }

  const [kube, embedded] = await Promise.allSettled([
    startKube(path.join(workDir, 'kube'), tokenFile, tokens),
    startEmbedded(path.join(workDir, 'embedded'), tokenFile, tokens),
  ]);
  if (kube.status === 'fulfilled') servers.kube = kube.value;
  if (embedded.status === 'fulfilled') servers.embedded = embedded.value;
  if (kube.status === 'rejected') {
    say(`api-conformance: kube-apiserver did not start: ${String(kube.reason)}`);
    await stopAll();
    if (!args.keep) fs.rmSync(workDir, { recursive: true, force: true });
    say(`api-conformance: 0 passed, ${cases.length} failed`);
    say('api-conformance: cases run against kube-apiserver: 0, against embedded: 0');
    process.exitCode = 1;
    return;
  }
  if (embedded.status === 'rejected')
    say(`api-conformance: embedded server did not start: ${String(embedded.reason)}`);

  let passed = 0;
  const failed: string[] = [];
  const ran = { kube: 0, embedded: 0 };
  if (args.dump) fs.mkdirSync(args.dump, { recursive: true });
  try {
    for (const [i, c] of cases.entries()) {
      const ns = namespaceFor(i + 1, c.name);
      const [k, e] = await Promise.all([
        runOn(servers.kube!, c, ns),
        servers.embedded
          ? runOn(servers.embedded, c, ns)
          : Promise.resolve<Outcome>({ error: 'embedded server not running' }),
      ]);
      ran.kube++;
      if (servers.embedded) ran.embedded++;
      const problems: string[] = [];
      const kubeProblem = expectationFailure(c, k);
      if (kubeProblem)
        problems.push(
          `  kube-apiserver ${kubeProblem}  (the case itself is wrong if kube fails it)`,
        );
      const embeddedProblem = expectationFailure(c, e);
      if (embeddedProblem) problems.push(`  embedded ${embeddedProblem}`);
      if (!k.error && !e.error) {
        const ds = diverge(k.normalised, e.normalised);
        if (ds.length) problems.push(`  differs from kube-apiserver:\n${describeDivergences(ds)}`);
      }
      if (args.dump) {
        const file = path.join(args.dump, `${namespaceFor(i + 1, c.name)}.json`);
        fs.writeFileSync(
          file,
          JSON.stringify(
            { kube: k.normalised ?? k.error, embedded: e.normalised ?? e.error },
            null,
            2,
          ),
        );
      }
      if (problems.length === 0) {
        passed++;
        say(`ok ${c.name}`);
      } else {
        failed.push(c.name);
        say(`FAIL ${c.name}\n${problems.join('\n')}`);
      }
    }
  } finally {
    await stopAll();
    if (!args.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else say(`api-conformance: work directory kept: ${workDir}`);
  }
  say(`api-conformance: ${passed} passed, ${failed.length} failed`);
  say(
    `api-conformance: cases run against kube-apiserver: ${ran.kube}, against embedded: ${ran.embedded}`,
  );
  if (failed.length) process.exitCode = 1;
}

main().catch(err => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
