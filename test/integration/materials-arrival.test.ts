import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import type { PlatformStage } from '../../adapters/platform.port.js';
import { materialTransferProcessor } from '../../jobs/material-transfer.processor.js';
import type { MaterialTransferJob } from '../../queues/material-transfer.queue.js';
import { createCourierClient, createPlatformClients } from '../../lib/platforms.js';
import type { TransferChannel } from '../../ledger/cases/case.model.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';
import { createFileStore } from '../../lib/files/store-factory.js';

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;

/**
 * When the jurisdiction window has the materials (seed 000 二(四): 属地窗口收到申请人材料后恢复计时):
 * the electronic record's acceptance for materials that travel online, the paper's arrival for paper.
 */
describe('when the materials arrive at the jurisdiction', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  let eventNo = 0;

  beforeAll(async () => {
    // No workers: each test moves the case itself, in the order it is about.
    stack = await startTestStack({ now: () => now, workers: false, webhooks: false });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function dispatched(channel: TransferChannel, forwarded = true) {
    now = new Date('2025-11-24T10:00:00+08:00');
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: SICHUAN_WATER.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: SICHUAN_WATER.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    if (channel !== 'OFFLINE') await scanMaterials(stack, record.businessNo);
    await stack.workflow.dispatchMaterials(record.businessNo, channel, 'test');
    now = new Date('2025-11-24T11:00:00+08:00');
    if (forwarded) await stack.workflow.recordForwarded(record.businessNo, `SC-${record.businessNo}`, 'system:material-transfer');
    return record.businessNo;
  }

  const platform = (businessNo: string, stage: PlatformStage) =>
    stack.workflow.applyPlatformEvent(
      { eventId: `e${++eventNo}`, region: 'SICHUAN', platformCaseId: `SC-${businessNo}`, businessNo, stage, decision: stage === 'DECIDED' ? 'APPROVED' : null, reasons: [], at: now.toISOString() },
      'platform:SICHUAN',
    );

  it('keeps an OFFLINE case paused when the platform accepts its record, until the paper arrives', async () => {
    const no = await dispatched('OFFLINE');
    now = new Date('2025-11-24T12:00:00+08:00');
    const accepted = (await platform(no, 'ACCEPTED'))!;
    expect(accepted).toMatchObject({ stage: 'IN_TRANSFER', platformStage: 'ACCEPTED', transfer: { receivedAt: null } });
    expect(accepted.clock.phase).toBe('PAUSED');

    now = new Date('2025-11-25T15:00:00+08:00');
    const received = await stack.workflow.confirmMaterialsReceived(no, 'staff-sc');
    expect(received).toMatchObject({ stage: 'AT_JURISDICTION', transfer: { receivedAt: now.toISOString() } });
    expect(received.clock.phase).toBe('RUNNING');
    expect(received.clock.events.at(-1)).toEqual({ type: 'RESUME', at: now.toISOString() });
  });

  it('resumes an OFFLINE case at the courier’s 签收, on the courier’s time', async () => {
    const no = await dispatched('OFFLINE');
    now = new Date('2025-11-26T09:00:00+08:00');
    const signedAt = '2025-11-25T16:20:00+08:00';
    const received = await stack.workflow.confirmMaterialsReceived(no, 'system:courier', signedAt);
    expect(received).toMatchObject({ stage: 'AT_JURISDICTION', transfer: { receivedAt: signedAt } });
    const event = (await stack.store.events(no)).at(-1)!;
    expect(event).toMatchObject({ type: 'MATERIALS_RECEIVED', data: { courierAt: signedAt } });
  });

  it('resumes an OFFLINE case whose decision comes before the paper: the decision proves the arrival', async () => {
    const no = await dispatched('OFFLINE');
    await platform(no, 'ACCEPTED');
    now = new Date('2025-11-25T10:00:00+08:00');
    const decided = (await platform(no, 'DECIDED'))!;
    expect(decided).toMatchObject({ stage: 'DECIDED', transfer: { receivedAt: now.toISOString() } });
  });

  it.each(['ONLINE', 'BOTH'] as const)('resumes a %s case when the platform accepts the electronic record', async (channel) => {
    const no = await dispatched(channel);
    now = new Date('2025-11-24T14:00:00+08:00');
    const accepted = (await platform(no, 'ACCEPTED'))!;
    expect(accepted).toMatchObject({ stage: 'AT_JURISDICTION', transfer: { receivedAt: now.toISOString() } });
  });

  it('lets the jurisdiction confirm receipt after the platform moved the case on, changing nothing', async () => {
    const no = await dispatched('ONLINE');
    await platform(no, 'ACCEPTED');
    await platform(no, 'REVIEWING');
    const before = await stack.workflow.get(no);
    const events = (await stack.store.events(no)).length;
    now = new Date('2025-11-24T16:00:00+08:00');
    const confirmed = await stack.as({ subject: 'staff-sc', role: 'JURISDICTION_STAFF', region: 'SICHUAN', windowId: before.jurisdictionWindowId }).query<any>(
      `mutation ($no: ID!) { confirmMaterialsReceived(businessNo: $no) { businessNo stage } }`,
      { no },
    );
    expect(confirmed.errors).toBeUndefined();
    expect(confirmed.data.confirmMaterialsReceived).toEqual({ businessNo: no, stage: 'AT_JURISDICTION' });
    expect(await stack.workflow.get(no)).toEqual(before);
    expect((await stack.store.events(no)).length).toBe(events);
  });

  it('forwards a case whose paper was confirmed at the jurisdiction before the transfer job ran', async () => {
    const no = await dispatched('OFFLINE', false);
    await stack.workflow.confirmMaterialsReceived(no, 'staff-sc');
    const processor = materialTransferProcessor({
      workflow: stack.workflow,
      platforms: createPlatformClients(stack.config, { CHONGQING: stack.yukuaiban.url, SICHUAN: stack.sichuan.url }),
      courier: createCourierClient(stack.config, stack.courier.url),
      shipments: stack.shipments,
      directory: new WindowStore(stack.redis),
      files: createFileStore(stack.config.files.store),
    });
    const result = await processor({ data: { businessNo: no, channel: 'OFFLINE' } } as Job<MaterialTransferJob>);
    expect(result.platformCaseId).toBeTruthy();
    expect(await stack.workflow.get(no)).toMatchObject({ stage: 'AT_JURISDICTION', platformCaseId: result.platformCaseId });
  });
});
