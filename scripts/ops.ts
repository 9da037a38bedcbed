/**
 * `npm run ops -- <command>`: what ops do by hand, from a shell on a machine
 * that reaches Redis (settings from the environment or .env, as every service).
 *
 *   queues                      depth of every queue and its latest dead letters
 *   retry <queue> <jobId>       put one failed job back
 *   replay <queue> [limit]      put up to limit (default 100) failed jobs back
 *   calendar-load <file.json>   validate a State Council holiday notice and install it as the calendar overrides
 *   compose-check               check that supergraph.graphql matches the subgraph schemas
 *   catalog-invalidate <region> drop every instance's copy of CHONGQING's or SICHUAN's catalog
 *   guide load <file.json>      validate a file of official 办事指南 (limits, materials) and put them in place of the sample values
 *   migrate-ledger              move a Redis of the ledger's layout before its partitions (9f982cd) to the partitioned one;
 *                               stop the gateways, subgraphs and workers first
 *   fault <sandbox> [setting=value ...] | clear
 *                               read, replace or clear the injected faults of a running sandbox
 *                               (yukuaiban, sichuan, courier, notify), e.g. fault sichuan errorRate=1
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mergeCalendarOverrides, validateCalendarOverrides } from '../domain/calendar/index.js';
import { DomainError } from '../domain/errors.js';
import { JOB_STATES, overdueCases, QueueAdmin } from '../queues/queue-admin.js';
import { FAULTS_PATH, parseSandboxFaults } from '../adapters/sandbox-faults.route.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { createRedis } from '../lib/redis.js';
import { invalidateCatalog } from '../ledger/catalog/catalog-generation.js';
import { OfficialGuideStore, validateGuideFile } from '../ledger/catalog/official-guides.js';
import { migrateLedger, MOVE_KINDS } from './ledger-partitions.migration.js';

const USAGE = 'usage: npm run ops -- queues | retry <queue> <jobId> | replay <queue> [limit] | calendar-load <file.json> | compose-check | catalog-invalidate <CHONGQING|SICHUAN> | guide load <file.json> | migrate-ledger | fault <yukuaiban|sichuan|courier|notify> [setting=value ...] | fault <sandbox> clear';
const SANDBOXES = ['yukuaiban', 'sichuan', 'courier', 'notify'] as const;
const root = fileURLToPath(new URL('..', import.meta.url));
const OVERRIDES = new URL('../domain/data/calendar-overrides.json', import.meta.url);

const [command, ...args] = process.argv.slice(2);

async function withQueues<T>(run: (admin: QueueAdmin, redis: ReturnType<typeof createRedis>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = createRedis(config.redis.url ?? 'redis://127.0.0.1:6379', config.redis.keyPrefix, { maxRetriesPerRequest: 1 });
  const admin = QueueAdmin.over(redis);
  try {
    return await run(admin, redis);
  } finally {
    await admin.close();
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  switch (command) {
    case 'queues':
      return withQueues(async (admin, redis) => {
        const rows = await admin.counts();
        const header = ['queue', ...JOB_STATES, 'paused'];
        const table = [header, ...rows.map(({ queue, counts, paused }) => [queue, ...JOB_STATES.map((state) => String(counts[state])), paused ? 'yes' : ''])];
        const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
        for (const { queue, counts } of rows) {
          if (counts.failed === 0) continue;
          console.log(`\nlatest failed in ${queue}:`);
          for (const job of await admin.latestFailed(queue, 5)) {
            console.log(`  ${job.id}  ${job.name}  attempts ${job.attemptsMade}  ${new Date(job.finishedOn ?? job.timestamp).toISOString()}  ${job.failedReason ?? ''}`);
          }
        }
        const overdue = await overdueCases(redis, new Date());
        console.log(`\noverdue cases: ${overdue.running} running, ${overdue.paused} paused`);
        return 0;
      });
    case 'retry': {
      const [queue, jobId] = args;
      if (!queue || !jobId) return usage();
      return withQueues(async (admin) => {
        const job = await admin.retry(queue, jobId);
        console.log(`job ${job.id} of ${job.queue} is ${job.state} again`);
        return 0;
      });
    }
    case 'replay': {
      const [queue, limit = '100'] = args;
      if (!queue || !/^\d+$/.test(limit)) return usage();
      return withQueues(async (admin) => {
        console.log(`${await admin.replayFailed(queue, Number(limit))} failed job(s) of ${queue} put back`);
        return 0;
      });
    }
    case 'calendar-load': {
      const [file] = args;
      if (!file) return usage();
      const loaded = validateCalendarOverrides(JSON.parse(readFileSync(file, 'utf8')));
      const notices = mergeCalendarOverrides(validateCalendarOverrides(JSON.parse(readFileSync(OVERRIDES, 'utf8'))), loaded);
      writeFileSync(OVERRIDES, `${JSON.stringify(notices, null, 2)}\n`);
      const years = notices.map((notice) => notice.year);
      console.log(`wrote ${fileURLToPath(OVERRIDES)}: years ${years.join(', ')} (${loaded.map((notice) => notice.year).join(', ') || 'none'} loaded)`);
      // Every service builds its calendar once at start-up.
      console.log('restart the subgraphs and workers to use it');
      return 0;
    }
    case 'catalog-invalidate': {
      const [region] = args;
      if (region !== 'CHONGQING' && region !== 'SICHUAN') return usage();
      return withQueues(async (_admin, redis) => {
        console.log(`catalog of ${region} invalidated (generation ${await invalidateCatalog(redis, region)})`);
        return 0;
      });
    }
    case 'guide': {
      const [action, file] = args;
      if (action !== 'load' || !file) return usage();
      const guides = validateGuideFile(JSON.parse(readFileSync(file, 'utf8')));
      return withQueues(async (_admin, redis) => {
        const loaded = await new OfficialGuideStore(redis).load(guides);
        console.log(`official guides of ${loaded.items} item(s) loaded (${loaded.regions.join(', ')}); their cached catalogs were dropped`);
        return 0;
      });
    }
    case 'migrate-ledger':
      if (args.length) return usage();
      return withQueues(async (_admin, redis) => {
        const keyPrefix = redis.options.keyPrefix ?? '';
        console.log(`migrating the ledger under "${keyPrefix}" to its partitions: the gateways, subgraphs and workers must be stopped until it is done`);
        // The migration names whole keys, as SCAN gives them.
        const unprefixed = redis.duplicate({ keyPrefix: '' });
        const report = await migrateLedger(unprefixed, keyPrefix).finally(() => unprefixed.disconnect());
        console.log(`${report.scanned} key(s) under the prefix, ${report.oldLayout} of them in the old layout`);
        for (const kind of MOVE_KINDS) if (report.moved[kind]) console.log(`  ${kind}: ${report.moved[kind]} moved`);
        if (report.alreadyThere) console.log(`  ${report.alreadyThere} index, timetable or outbox member(s) were in their new key already`);
        for (const { from, to } of report.conflicts) console.log(`left: ${from} (${to} exists already)`);
        for (const { key, member, reason } of report.unplaced) console.log(`left: ${key}${member === undefined ? '' : ` member ${member}`} (${reason})`);
        const left = report.conflicts.length + report.unplaced.length;
        console.log(left ? `${left} key(s) or member(s) left in the old layout: see above, then run it again` : 'done: nothing is left in the old layout; the services may start');
        return left ? 1 : 0;
      });
    case 'fault': {
      const [sandbox, ...settings] = args;
      if (!SANDBOXES.includes(sandbox as (typeof SANDBOXES)[number])) return usage();
      const clear = settings.length === 1 && settings[0] === 'clear';
      const pairs = clear ? [] : settings.map((setting) => setting.split('='));
      if (pairs.some((pair) => pair.length !== 2 || !pair[0])) return usage();
      // Numbers go as numbers; anything else goes as written, for the validation to name it.
      const faults = parseSandboxFaults(Object.fromEntries(pairs.map(([name, value]) => [name, value !== '' && Number.isFinite(Number(value)) ? Number(value) : value])));
      return sandboxFaults(sandbox as (typeof SANDBOXES)[number], clear ? 'DELETE' : pairs.length ? 'PUT' : 'GET', faults);
    }
    case 'compose-check':
      return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', '--check'], { cwd: root, stdio: 'inherit' }).status ?? 1;
    default:
      return usage();
  }
}

/** Talks to the sandbox `npm start` (or `npm run start:sandbox`) runs on the configured port. */
async function sandboxFaults(sandbox: (typeof SANDBOXES)[number], method: 'GET' | 'PUT' | 'DELETE', faults: object): Promise<number> {
  const config = loadConfig();
  const url = `http://${config.host}:${config.platforms[sandbox].sandboxPort}${FAULTS_PATH}`;
  let response: Response;
  try {
    response = await fetch(url, method === 'PUT' ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) } : { method });
  } catch {
    console.error(`no ${sandbox} sandbox answers at ${url}: is the stack (npm start) running?`);
    return 1;
  }
  const body = (await response.json()) as { faults?: object; error?: { code: string; message: string } };
  if (!response.ok || !body.faults) {
    console.error(`${body.error?.code ?? `HTTP ${response.status}`}: ${body.error?.message ?? 'unexpected answer'}`);
    return 1;
  }
  console.log(`${sandbox} sandbox faults: ${Object.keys(body.faults).length ? JSON.stringify(body.faults) : 'none'}`);
  return 0;
}

function usage(): number {
  console.error(USAGE);
  return 2;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof DomainError) console.error(`${error.code}: ${error.message}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof SyntaxError) console.error(`not valid JSON: ${error.message}`);
  else throw error;
  process.exitCode = 1;
}
