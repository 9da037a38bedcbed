/**
 * `npm run soak`: the full load run of RELIABILITY.md — 10,000 cases through the
 * whole flow, then a 10-minute soak sampling the gateway's memory. Prints the
 * figures as JSON; exits 1 if any case was lost, duplicated or refused.
 *
 *   npm run soak -- [--cases 10000] [--concurrency 24] [--minutes 10]
 */
import { parseArgs } from 'node:util';
import { runLoad } from '../test/support/load-flow.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '24' }, minutes: { type: 'string', default: '10' } } });
const cases = Number(values.cases);
const concurrency = Number(values.concurrency);
const minutes = Number(values.minutes);
if (![cases, concurrency].every((n) => Number.isInteger(n) && n > 0) || !(minutes >= 0)) {
  console.error('usage: npm run soak -- [--cases N] [--concurrency N] [--minutes M]');
  process.exit(2);
}

const figures = await runLoad({
  cases,
  concurrency,
  soakMs: minutes * 60_000,
  sampleEveryMs: 30_000,
  log: (line) => console.error(`${new Date().toISOString()} ${line}`),
});
console.log(JSON.stringify(figures, null, 2));
const clean =
  figures.delivered === cases &&
  figures.http5xx + figures.duplicatePlatformCases + figures.missingPlatformCases + figures.duplicateEvents + figures.soak.http5xx + figures.soak.graphqlErrors === 0 &&
  figures.graphqlErrors.length === 0;
process.exit(clean ? 0 : 1);
