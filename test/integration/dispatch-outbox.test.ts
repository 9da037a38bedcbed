import { Queue } from 'bullmq';
import { partitionOfCase } from '../../ledger/cases/case-partitions.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { alertSweepProcessor } from '../../jobs/alert-sweep.processor.js';
import { transferOutboxKey } from '../../queues/material-transfer.queue.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { caseDeadlines } from '../../subgraphs/cases/case.view.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../../lib/files/upload-record.store.js';
import { CaseWorkflow } from '../../ledger/workflow/case-workflow.service.js';
import { CaseStore } from '../../ledger/cases/case.store.js';
import { CaseArchives } from '../../ledger/cases/case-archive.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { createPlatformClients } from '../../lib/platforms.js';
import type { OutsideTimeReport } from '../../ledger/workflow/ports.js';
import { createQueueConnection } from '../../lib/redis.js';
import { startTestStack, testRedisUrl, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const DISPATCH = /* GraphQL */ `
  mutation Dispatch($no: ID!, $channel: TransferChannel!) { dispatchMaterials(businessNo: $no, channel: $channel) { businessNo stage } }
`;

describe('dispatch and its transfer job, written as one', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  let connection: Redis;
  let transfers: Queue;

  beforeEach(() => {
    now = new Date('2025-11-24T10:00:00+08:00');
  });

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    connection = createQueueConnection(testRedisUrl());
    transfers = new Queue(QUEUES.materialTransfer, { connection, prefix: bullPrefix(stack.prefix) });
  });

  afterAll(async () => {
    await transfers?.close();
    connection?.disconnect();
    await stack?.close();
  });

  async function received(handler = '李四') {
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: SICHUAN_WATER.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: SICHUAN_WATER.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler,
      },
      'test',
    );
    return record;
  }

  async function forwarded(businessNo: string) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const current = await stack.workflow.get(businessNo);
      if (current.platformCaseId) return current;
      if (Date.now() > deadline) throw new Error(`${businessNo} not forwarded`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A second workflow over the stack's Redis, with the parts a test replaces. */
  function workflowWith(parts: { transfers?: ConstructorParameters<typeof CaseWorkflow>[0]['transfers']; store?: CaseStore; onOutsideTime?: (report: OutsideTimeReport) => void }) {
    const calendar = getDefaultCalendar();
    return new CaseWorkflow({
      store: parts.store ?? new CaseStore(stack.redis, calendar, new CaseArchives(stack.fileStore)),
      windows: new WindowStore(stack.redis),
      platforms: createPlatformClients(stack.config, { CHONGQING: stack.yukuaiban.url, SICHUAN: stack.sichuan.url }),
      calendar,
      transfers: parts.transfers ?? stack.queues.transfers,
      notifications: stack.queues.notifications,
      alerts: stack.queues.alerts,
      uploads: new UploadRecordStore(stack.redis, UPLOAD_RECORD_PREFIX),
      caseFilesMaxBytes: stack.config.files.policy.caseMaxBytes,
      verifyBaseUrl: stack.config.certificates.verifyBaseUrl,
      now: () => now,
      onOutsideTime: parts.onOutsideTime,
    });
  }

  it('keeps the intent to transfer when queueing the job fails after the write, and the sweep queues it', async () => {
    // The queueing that follows the write fails, as it does when Redis dies between the two calls.
    const failingQueue = {
      intent: stack.queues.transfers.intent.bind(stack.queues.transfers),
      enqueue: async () => {
        throw new Error('Connection is closed.');
      },
    };
    const workflow = workflowWith({ transfers: failingQueue });
    const record = await received('outbox');
    await scanMaterials(stack, record.businessNo);
    const dispatched = await workflow.dispatchMaterials(record.businessNo, 'ONLINE', 'test');
    expect(dispatched.stage).toBe('IN_TRANSFER');
    expect(await transfers.getJob(`transfer-${record.businessNo}`)).toBeUndefined();
    expect(await connection.zrange(transferOutboxKey(bullPrefix(stack.prefix), partitionOfCase(record.businessNo)), '0', '-1')).toEqual([`${record.businessNo}|ONLINE`]);

    const sweep = alertSweepProcessor({ timetable: stack.queues.alerts, transfers: stack.queues.transfers, notifications: stack.queues.notifications });
    expect((await sweep()).transfersQueued).toBe(1);
    expect(await stack.queues.transfers.pending()).toBe(0);
    expect((await forwarded(record.businessNo)).platformCaseId).toBeTruthy();
    // Drained once: a second sweep finds nothing to queue.
    expect((await sweep()).transfersQueued).toBe(0);
  });

  it('answers a retried dispatch with the dispatched case, and refuses a dispatch on another channel', async () => {
    const record = await received('retry');
    await scanMaterials(stack, record.businessNo);
    const first = await stack.query<any>(DISPATCH, { no: record.businessNo, channel: 'ONLINE' });
    expect(first.errors).toBeUndefined();
    const retried = await stack.query<any>(DISPATCH, { no: record.businessNo, channel: 'ONLINE' });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.dispatchMaterials).toEqual({ businessNo: record.businessNo, stage: expect.stringMatching(/IN_TRANSFER|AT_JURISDICTION/) });
    const other = await stack.query<any>(DISPATCH, { no: record.businessNo, channel: 'BOTH' });
    expect(other.errors?.[0]?.extensions?.code).toBe('CASE.INVALID_TRANSITION');
    const dispatches = (await stack.store.events(record.businessNo)).filter((event) => event.type === 'MATERIALS_DISPATCHED');
    expect(dispatches).toHaveLength(1);
    await forwarded(record.businessNo);
    expect(await stack.queues.transfers.pending()).toBe(0);
  });

  it('bounds the courier’s time of 揽收 to between the dispatch and now, keeping what the courier said', async () => {
    for (const [courierAt, expected] of [
      ['2020-01-01T09:00:00+08:00', 'dispatch'],
      ['2030-06-01T09:00:00+08:00', 'now'],
    ] as const) {
      now = new Date('2025-11-24T10:00:00+08:00');
      const record = await received(`courier-${expected}`);
      const dispatched = await stack.workflow.dispatchMaterials(record.businessNo, 'OFFLINE', 'test');
      now = new Date('2025-11-24T15:00:00+08:00');
      const before = stack.outsideTimes.length;
      const sent = await stack.workflow.recordPaperSent(record.businessNo, courierAt, 'system:courier');
      const bound = expected === 'dispatch' ? dispatched.transfer!.dispatchedAt : now.toISOString();
      expect(sent.transfer!.paperSentAt).toBe(bound);
      const paperMail = caseDeadlines(sent, now).find((deadline) => deadline.kind === 'PAPER_MAIL')!;
      expect(paperMail.status).toBe('MET');
      const event = (await stack.store.events(record.businessNo)).find((e) => e.type === 'PAPER_COLLECTED')!;
      expect(event.data).toEqual({ at: bound, courierAt });
      expect(stack.outsideTimes.slice(before)).toEqual([{ source: 'courier', businessNo: record.businessNo, reported: courierAt, used: bound }]);
    }
  });

  it('reports a bounded courier time once when its write is retried over a concurrent one', async () => {
    const record = await received('courier-conflict');
    await stack.workflow.dispatchMaterials(record.businessNo, 'OFFLINE', 'test');
    await forwarded(record.businessNo);
    now = new Date('2025-11-24T15:00:00+08:00');
    // Between this workflow's read and its write, another writer changes the case: the first write meets a newer version.
    let interleaved = false;
    const store = new (class extends CaseStore {
      override async get(businessNo: string) {
        const read = await super.get(businessNo);
        if (!interleaved) {
          interleaved = true;
          await stack.store.update(read!, { ...read!, version: read!.version + 1, updatedAt: now.toISOString() }, { type: 'TEST_TOUCH', at: now.toISOString(), actor: 'test', data: {} });
        }
        return read;
      }
    })(stack.redis, getDefaultCalendar(), new CaseArchives(stack.fileStore));
    const reports: OutsideTimeReport[] = [];
    const sent = await workflowWith({ store, onOutsideTime: (report) => reports.push(report) }).recordPaperSent(record.businessNo, '2020-01-01T09:00:00+08:00', 'system:courier');
    expect(interleaved).toBe(true);
    expect(sent.transfer!.paperSentAt).toBe(sent.transfer!.dispatchedAt);
    expect(reports).toEqual([{ source: 'courier', businessNo: record.businessNo, reported: '2020-01-01T09:00:00+08:00', used: sent.transfer!.dispatchedAt }]);
    expect((await stack.store.events(record.businessNo)).filter((event) => event.type === 'PAPER_COLLECTED')).toHaveLength(1);
  });

  it('takes a courier time within the bounds as it is, and reports nothing', async () => {
    const record = await received('courier-in-bounds');
    await stack.workflow.dispatchMaterials(record.businessNo, 'OFFLINE', 'test');
    now = new Date('2025-11-24T15:00:00+08:00');
    const before = stack.outsideTimes.length;
    const sent = await stack.workflow.recordPaperSent(record.businessNo, '2025-11-24T11:30:00+08:00', 'system:courier');
    expect(sent.transfer!.paperSentAt).toBe('2025-11-24T11:30:00+08:00');
    expect(stack.outsideTimes.length).toBe(before);
  });
});
