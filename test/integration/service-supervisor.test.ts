import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervise } from '../../scripts/service.supervisor.js';

const until = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the npm start supervisor', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tongban-supervisor-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a service killed with SIGKILL again, says so, and backs off while it keeps crashing', async () => {
    const starts = join(dir, 'starts');
    const lines: string[] = [];
    // Each start appends its time; the service then runs until killed.
    const service = supervise({
      name: 'workers',
      command: process.execPath,
      args: ['-e', `require('fs').appendFileSync(${JSON.stringify(starts)}, Date.now() + '\\n'); setInterval(() => {}, 1000)`],
      cwd: dir,
      env: process.env,
      log: (line) => lines.push(line),
      backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 },
    });
    const startTimes = async () => (await readFile(starts, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(Number);
    try {
      for (let round = 1; round <= 4; round++) {
        await until(`start ${round}`, async () => (await startTimes()).length === round && service.child !== undefined);
        service.child!.kill('SIGKILL');
        await until(`exit ${round}`, () => service.restarts === round);
      }
      await until('fifth start', async () => (await startTimes()).length === 5);
      const times = await startTimes();
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // 100, 200, 400, then capped at 400 ms (plus the time a node process takes to start).
      expect(gaps[0]).toBeGreaterThanOrEqual(100);
      expect(gaps[1]).toBeGreaterThanOrEqual(200);
      expect(gaps[2]).toBeGreaterThanOrEqual(400);
      expect(gaps[3]).toBeGreaterThanOrEqual(400);
      expect(gaps[3]).toBeLessThan(2_000);
      expect(lines).toEqual([
        'tongban: workers exited (SIGKILL); restarting it in 0.1 s (restart 1)',
        'tongban: workers exited (SIGKILL); restarting it in 0.2 s (restart 2)',
        'tongban: workers exited (SIGKILL); restarting it in 0.4 s (restart 3)',
        'tongban: workers exited (SIGKILL); restarting it in 0.4 s (restart 4)',
      ]);
    } finally {
      await service.stop(1_000);
    }
    expect(service.child).toBeUndefined();
    const before = (await startTimes()).length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await startTimes()).length).toBe(before);
  });

  it('starts the backoff afresh after a run that lasted', async () => {
    const lines: string[] = [];
    const service = supervise({
      name: 'gateway',
      command: process.execPath,
      args: ['-e', 'setTimeout(() => process.exit(3), 300)'],
      cwd: dir,
      env: process.env,
      log: (line) => lines.push(line),
      backoff: { initialMs: 100, maxMs: 1_000, resetAfterMs: 200 },
    });
    try {
      await until('three restarts', () => service.restarts >= 3);
    } finally {
      await service.stop(1_000);
    }
    // Each run lasted 300 ms, past resetAfterMs: no doubling.
    expect(lines.slice(0, 3)).toEqual([1, 2, 3].map((n) => `tongban: gateway exited (3); restarting it in 0.1 s (restart ${n})`));
  });
});
