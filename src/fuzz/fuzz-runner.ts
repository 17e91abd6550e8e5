import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { adminToken, createUser, login, request } from '../testing/http-client.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type TestServer } from '../testing/test-server.ts';
import { expandCase, type FuzzCase, type FuzzTargets } from './fuzz-case.ts';
import { isMutation } from './fuzz-health.ts';
import { FuzzStats, judge } from './fuzz-oracle.ts';
import { sendCase } from './fuzz-send.ts';
import type { Operation } from './openapi-operations.ts';
import { caseFor, randomCase } from './random-cases.ts';

/** The committed corpus of nasty requests, by group (FZ-JSON … FZ-SMUG). */
export function loadCorpus(): Record<string, FuzzCase[]> {
  const raw = JSON.parse(readFileSync(new URL('./fuzz-corpus.json', import.meta.url), 'utf8')) as Record<
    string,
    Omit<FuzzCase, 'group'>[]
  >;
  return Object.fromEntries(
    Object.entries(raw).map(([group, cases]) => [group, cases.map((c) => ({ ...c, group }))]),
  );
}

/** A server prepared for fuzzing: sacrificial targets, witnesses that must survive (U7), and what must never leak (U3). */
export interface FuzzSetup {
  server: TestServer;
  targets: FuzzTargets;
  witnessTokens: string[];
  witnessRefresh: { token: string; clientId: string };
  secrets: string[];
  errorSecrets: string[];
  /** The path prefix before /0.1 requests are sent under. */
  prefix: string;
}

export async function prepareFuzz(server: TestServer): Promise<FuzzSetup> {
  const admin = await adminToken(server);
  const post = async (path: string, body: unknown) => {
    const result = await request(server, path, { method: 'POST', token: admin, body });
    if (result.status !== 200) throw new Error(`fuzz setup ${path}: ${result.status} ${result.text}`);
    return result.body as { uuid: string };
  };
  const victim = await createUser(server, {}, { token: admin });
  const victimLogin = await login(server, victim.username, victim.password);
  const witness = await createUser(server, {}, { token: admin });
  const witnessLogin = await login(server, witness.username, witness.password, {
    access_type: 'offline',
    client_id: 'fuzz-witness',
  });
  const targets: FuzzTargets = {
    adminToken: admin,
    userToken: victimLogin.token,
    userUuid: victim.uuid,
    username: victim.username,
    policyUuid: (await post('/policies', { name: `fuzz-policy-${victim.uuid}`, acl: ['fuzz.read'] })).uuid,
    tenantUuid: (await post('/tenants', { name: `fuzz-tenant-${victim.uuid.slice(0, 8)}` })).uuid,
    groupUuid: (await post('/groups', { name: `fuzz-group-${victim.uuid.slice(0, 8)}` })).uuid,
    sessionUuid: victimLogin.session_uuid,
  };
  const basicAdmin = Buffer.from(`${ADMIN_USERNAME}:${ADMIN_PASSWORD}`).toString('base64');
  return {
    server,
    targets,
    witnessTokens: [admin, witnessLogin.token],
    witnessRefresh: { token: String(witnessLogin.refresh_token), clientId: 'fuzz-witness' },
    secrets: [
      ADMIN_PASSWORD,
      basicAdmin,
      victim.password,
      witness.password,
      witnessLogin.token,
      String(witnessLogin.refresh_token),
    ],
    errorSecrets: [admin, victimLogin.token],
    prefix: new URL(server.api).pathname,
  };
}

export interface CaseFailure {
  case: FuzzCase;
  status: number;
  problems: string[];
  body: string;
}

/** Progress of a run: outcome statistics and the number of accepted mutations (for U6). */
export class FuzzRun {
  readonly stats = new FuzzStats();
  accepted = 0;
  readonly setup: FuzzSetup;

  constructor(setup: FuzzSetup) {
    this.setup = setup;
  }

  /** Sends one case and returns its violations (empty when clean). */
  async send(c: FuzzCase): Promise<CaseFailure | null> {
    const { server, targets, secrets, errorSecrets, prefix } = this.setup;
    const expanded = expandCase(c, targets);
    const reply = await sendCase(server.origin, prefix, expanded, targets);
    this.stats.record(expanded, reply);
    if (reply.status >= 200 && reply.status < 300 && isMutation(expanded.method, expanded.path))
      this.accepted++;
    const problems = judge(expanded, reply, secrets, errorSecrets);
    return problems.length
      ? { case: c, status: reply.status, problems, body: reply.body.slice(0, 300) }
      : null;
  }

  /** Replays corpus cases in order; every failure is collected, none stops the replay. */
  async replay(cases: readonly FuzzCase[]): Promise<CaseFailure[]> {
    const failures: CaseFailure[] = [];
    for (const c of cases) {
      const failure = await this.send(c);
      if (failure) failures.push(failure);
    }
    return failures;
  }

  /** One generated case for every operation, so that no path+method is left out by chance. */
  async sweep(operations: readonly Operation[], seed: number): Promise<CaseFailure[]> {
    const failures: CaseFailure[] = [];
    for (const [index, operation] of operations.entries()) {
      const [c] = fc.sample(caseFor(operation, this.setup.targets), { seed: seed + index, numRuns: 1 });
      const failure = c ? await this.send({ ...c, name: `sweep ${c.name}` }) : null;
      if (failure) failures.push(failure);
    }
    return failures;
  }

  /**
   * One case per operation (sweep), then `runs` random cases from the OpenAPI operations. fast-check stops at the first violation and
   * reports the seed, the path to replay it and the case; no shrinking, since each request can
   * change server state.
   */
  async random(operations: readonly Operation[], seed: number, runs: number): Promise<void> {
    const swept = await this.sweep(operations, seed);
    if (swept.length) throw new Error(swept.slice(0, 5).map(describeFailure).join('\n'));
    const property = fc.asyncProperty(randomCase(operations, this.setup.targets), async (c) => {
      const failure = await this.send(c);
      if (failure) throw new Error(describeFailure(failure));
    });
    await fc.assert(property, { seed, numRuns: runs, endOnFailure: true });
  }
}

/**
 * The long form's random phase: the same generator, sampled up front from `seed`, every case sent
 * and every failure kept (the run goes on), each with its index so that it can be replayed.
 */
export async function sampleAndSend(
  run: FuzzRun,
  operations: readonly Operation[],
  seed: number,
  runs: number,
): Promise<CaseFailure[]> {
  const cases = fc.sample(randomCase(operations, run.setup.targets), { seed, numRuns: runs });
  const failures = await run.sweep(operations, seed);
  for (const [index, c] of cases.entries()) {
    const failure = await run.send({ ...c, name: `#${index} ${c.name}` });
    if (failure) failures.push(failure);
  }
  return failures;
}

export function describeFailure(failure: CaseFailure): string {
  const { case: c } = failure;
  const shown = JSON.stringify({ ...c, body: c.body?.slice(0, 400), raw: c.raw?.slice(0, 400) });
  return `${c.group} ${c.name}: ${failure.problems.join('; ')} (status ${failure.status}, body ${failure.body})\ncase ${shown}`;
}
