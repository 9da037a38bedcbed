import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const OPS = { subject: 'ops-01', role: 'OPS', region: 'SICHUAN', windowId: null } as const;
const SICHUAN_ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const MONDAY_MORNING = new Date('2025-11-24T10:00:00+08:00');

const UPSERT = /* GraphQL */ `
  mutation ($input: WindowInput!) { upsertWindow(input: $input) { id version contact { phone } } }
`;

describe('the window directory through the gateway', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => MONDAY_MORNING });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('takes an upsert from ops, shows it in a case at once, and refuses window staff', async () => {
    const sample = SAMPLE_WINDOWS.find((window) => window.id === 'W-510000-01')!;
    const input = {
      ...sample,
      contact: { ...sample.contact, phone: '028-86000099' },
      hours: Object.entries(sample.hours).map(([day, ranges]) => ({ day: day.toUpperCase(), ranges: ranges.map(([start, end]) => `${start}-${end}`) })),
    };
    const refused = await stack.query(UPSERT, { input });
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['AUTH.FORBIDDEN']);

    const changed = await stack.as(OPS).query(UPSERT, { input });
    expect(changed).toEqual({ data: { upsertWindow: { id: 'W-510000-01', version: 2, contact: { phone: '028-86000099' } } } });

    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: SICHUAN_ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: SICHUAN_ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    const kase = await stack.query<{ case: { jurisdictionWindow: { contact: { phone: string }; history: { actor: string }[] } } }>(
      `{ case(businessNo: "${record.businessNo}") { jurisdictionWindow { contact { phone } history { actor } } } }`,
    );
    expect(kase.errors).toBeUndefined();
    expect(kase.data!.case.jurisdictionWindow).toEqual({
      contact: { phone: '028-86000099' },
      history: [{ actor: 'system:sample-directory' }, { actor: 'OPS:ops-01' }],
    });
  });

  it('filters by item and by opening hours across the gateway', async () => {
    const open = await stack.query<{ windows: { id: string }[] }>(
      '{ windows(region: SICHUAN, itemCode: "510000-00001", openAt: "2025-10-01T10:00:00+08:00") { id } }',
    );
    expect(open).toEqual({ data: { windows: [] } });
    const makeup = await stack.query<{ windows: { id: string }[] }>('{ windows(divisionCode: "500000", openAt: "2025-09-28T10:00:00+08:00") { id openAt(instant: "2025-09-28T12:30:00+08:00") } }');
    // The hall closes for lunch; the development directory's 24-hour demo window does not.
    expect(makeup).toEqual({ data: { windows: [{ id: 'W-500000-01', openAt: false }, { id: 'W-500000-24', openAt: true }] } });
  });
});
