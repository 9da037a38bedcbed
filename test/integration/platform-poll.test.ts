import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import type { PlatformRecordMismatchError } from '../../adapters/platform.errors.js';
import { platformPollProcessor } from '../../jobs/platform-poll.processor.js';
import { createPlatformClients } from '../../lib/platforms.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const CHONGQING_ITEM = YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('SICHUAN_CHONGQING'))!;

describe('polling platforms that push nothing', () => {
  let stack: TestStack;
  let poll: ReturnType<typeof platformPollProcessor>;
  const mismatches: PlatformRecordMismatchError[] = [];
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now, webhooks: false });
    poll = platformPollProcessor({
      store: stack.store,
      workflow: stack.workflow,
      platforms: createPlatformClients(stack.config, { CHONGQING: stack.yukuaiban.url, SICHUAN: stack.sichuan.url }),
      transfers: { enqueue: async () => undefined },
      files: createFileStore(stack.config.files.store),
      filePolicy: stack.config.files.policy,
      certificates: new CertificateStore(stack.redis),
      onRecordMismatch: (mismatch) => mismatches.push(mismatch),
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function forwarded(windowId: string, item: CatalogItem) {
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId,
        itemCode: item.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: item.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    await scanMaterials(stack, record.businessNo);
    await stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', 'test');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const current = await stack.workflow.get(record.businessNo);
      if (current.platformCaseId) return current;
      if (Date.now() > deadline) throw new Error('not forwarded');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('applies every missed stage, in order, with one batch call per platform', async () => {
    const sichuan = await forwarded('W-500000-01', SICHUAN_WATER);
    const chongqing = await forwarded('W-510000-01', CHONGQING_ITEM);
    await stack.sichuan.advance(sichuan.platformCaseId!);
    await stack.sichuan.advance(sichuan.platformCaseId!);
    await stack.sichuan.advance(sichuan.platformCaseId!);
    await stack.yukuaiban.advance(chongqing.platformCaseId!);
    stack.sichuan.resetCounts();
    stack.yukuaiban.resetCounts();

    expect(await poll()).toEqual({ checked: 2, applied: 4, requeued: 0, mismatched: 0 });
    expect(Object.values(stack.sichuan.requestCounts()).reduce((a, b) => a + b, 0)).toBe(1);
    expect(Object.values(stack.yukuaiban.requestCounts()).reduce((a, b) => a + b, 0)).toBe(1);

    const s = await stack.workflow.get(sichuan.businessNo);
    expect(s).toMatchObject({ stage: 'DECIDED', platformStage: 'DECIDED', decision: 'APPROVED' });
    const events = (await stack.store.events(sichuan.businessNo)).map((e) => [e.type, e.actor]);
    expect(events.slice(-3)).toEqual([
      ['PLATFORM_ACCEPTED', 'system:platform-poll'],
      ['PLATFORM_REVIEWING', 'system:platform-poll'],
      ['PLATFORM_DECIDED', 'system:platform-poll'],
    ]);
    expect((await stack.workflow.get(chongqing.businessNo)).stage).toBe('AT_JURISDICTION');

    // Nothing new on the platforms: a second poll changes nothing.
    expect(await poll()).toEqual({ checked: 2, applied: 0, requeued: 0, mismatched: 0 });
  });

  it('moves no case on the platform record of another business number (a platform that reissued an id), and reports it', async () => {
    const mine = await forwarded('W-500000-01', SICHUAN_WATER);
    const other = await forwarded('W-500000-01', SICHUAN_WATER);
    // As after a platform restart that started its ids again: the id stored for `mine` now names `other`'s record.
    await stack.store.update(mine, { ...mine, version: mine.version + 1, platformCaseId: other.platformCaseId }, { type: 'TEST_ID_REISSUED', at: now.toISOString(), actor: 'test', data: {} });
    for (let step = 0; step < 3; step++) await stack.sichuan.advance(other.platformCaseId!);

    const result = await poll();
    expect(result).toMatchObject({ mismatched: 1 });
    expect(mismatches.at(-1)).toMatchObject({ code: 'PLATFORM.RECORD_MISMATCH', businessNo: mine.businessNo, recordBusinessNo: other.businessNo });
    expect(await stack.workflow.get(mine.businessNo)).toMatchObject({ stage: 'IN_TRANSFER', platformStage: 'SUBMITTED', decision: null });
    expect(await stack.workflow.get(other.businessNo)).toMatchObject({ stage: 'DECIDED', decision: 'APPROVED' });

    // Nor is it shown as this case's: the field is null with the code, the rest of the case is there.
    const query = 'query ($no: ID!) { case(businessNo: $no) { businessNo platformRecord { id businessNo stage } } }';
    const shown = await stack.query<{ case: { businessNo: string; platformRecord: unknown } }>(query, { no: mine.businessNo });
    expect(shown.data?.case).toEqual({ businessNo: mine.businessNo, platformRecord: null });
    expect(shown.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['PLATFORM.RECORD_MISMATCH', ['case', 'platformRecord']]]);
    const own = await stack.query<{ case: { platformRecord: unknown } }>(query, { no: other.businessNo });
    expect(own).toEqual({ data: { case: { businessNo: other.businessNo, platformRecord: { id: other.platformCaseId, businessNo: other.businessNo, stage: 'DECIDED' } } } });
  });
});
