import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until } from '../support/until.kit.js';

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;

describe('paper materials through the whole stack', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('mails the paper on an offline transfer; 揽收 records paperSentAt, 签收 resumes the clock', async () => {
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
    const no = record.businessNo;
    // Keep the platform quiet so only the courier can move the case on.
    await stack.workflow.dispatchMaterials(no, 'OFFLINE', 'test');
    const waybill = await until('the waybill', async () => stack.courier.waybills().find((w) => w.businessNo === no));
    const query = `query ($no: ID!) { case(businessNo: $no) { stage shipments { waybillNo purpose state costBearer sendBy late toAddress } } }`;
    const before = await stack.query<any>(query, { no });
    expect(before.errors).toBeUndefined();
    expect(before.data.case.shipments).toEqual([
      expect.objectContaining({ waybillNo: waybill.waybillNo, purpose: 'MATERIALS', state: 'ORDERED', costBearer: 'JURISDICTION', toAddress: '四川省成都市', late: false }),
    ]);
    await stack.courier.advance(waybill.waybillNo);
    const sent = await until('the paper sent', async () => (await stack.workflow.get(no)).transfer?.paperSentAt);
    // The sandbox courier dates its events by the real clock, later than the stack's standing one: the time is
    // bounded to the stack's now, and the courier's own (+08:00, as its contract writes times) stays in the event.
    expect(sent).toBe(now.toISOString());
    const collected = (await stack.store.events(no)).find((event) => event.type === 'PAPER_COLLECTED')!;
    expect(collected.data.courierAt).toMatch(/\+08:00$/);
    for (let i = 0; i < 3; i++) await stack.courier.advance(waybill.waybillNo);
    const received = await until('the paper received', async () => {
      const current = await stack.workflow.get(no);
      return current.stage !== 'IN_TRANSFER' && current;
    });
    expect(received.transfer?.receivedAt).not.toBeNull();
    const after = await stack.query<any>(query, { no });
    expect(after.data.case.shipments[0].state).toBe('DELIVERED');
  });
});
