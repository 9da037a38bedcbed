import { COURIER_STATES } from '../../adapters/courier/courier.wire.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { TransferChannel } from '../../ledger/cases/case.model.js';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import type { TestStack } from '../../test/support/stack.js';
import type { DashboardCase } from './dashboard.query.js';
import { scanMaterials } from '../../test/support/scans.kit.js';

/** Monday 10:00 in Shanghai: every window is open, and a case received now has used none of its days. */
export const DASHBOARD_NOW = new Date('2025-11-24T10:00:00+08:00');

// A clock with a day or less left is AT_RISK; with more it is ON_TRACK whatever the item, which the expected answer relies on.
const hasDaysToSpare = (item: CatalogItem) => item.promisedLimitDays > 1;
/** What a Chongqing window takes in: Sichuan's items by 川渝通办, Chongqing's by 跨区县通办. */
const SICHUAN_ITEMS = SICHUAN_CATALOG.filter((item) => item.scopes.includes('SICHUAN_CHONGQING') && hasDaysToSpare(item));
const CHONGQING_ITEMS = YUKUAIBAN_CATALOG.filter((item) => item.scopes.includes('CROSS_DISTRICT') && hasDaysToSpare(item));

const ITEM_TYPE = { SICHUAN: 'SichuanServiceItem', CHONGQING: 'ChongqingServiceItem' } as const;
const WINDOW_NAMES = new Map(SAMPLE_WINDOWS.map((window) => [window.id, window.name]));

/**
 * Two in five cases are Sichuan's, three Chongqing's; a third go on paper (a 政务专递
 * waybill, every other one already collected), a third online, a third wait at the
 * window: every kind of open case a window's dashboard shows.
 */
function planCase(index: number): { item: CatalogItem; channel: TransferChannel | null } {
  const sichuan = index % 5 < 2;
  const list = sichuan ? SICHUAN_ITEMS : CHONGQING_ITEMS;
  const nth = sichuan ? Math.floor(index / 5) * 2 + (index % 5) : Math.floor(index / 5) * 3 + (index % 5) - 2;
  const channels = ['OFFLINE', 'ONLINE', null] as const;
  return { item: list[nth % list.length]!, channel: channels[index % 3]! };
}

/**
 * Receives `count` applications at a Chongqing window and moves them on as planCase
 * says, through the stack's own workflow, workers, platforms and courier; resolves
 * once everything they set off has settled, with the dashboard the window's staff
 * must then see, worked out from the seeds, the ledger and the courier's records.
 */
export async function seedDashboard(stack: TestStack, windowId: string, count: number): Promise<DashboardCase[]> {
  const planned = [];
  for (let index = 0; index < count; index++) {
    const { item, channel } = planCase(index);
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId,
        itemCode: item.code,
        applicant: { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: item.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'bench:dashboard',
    );
    if (channel && channel !== 'OFFLINE') await scanMaterials(stack, record.businessNo);
    if (channel) await stack.workflow.dispatchMaterials(record.businessNo, channel, 'bench:dashboard');
    planned.push({ businessNo: record.businessNo, item, channel });
  }

  const dispatched = planned.filter((kase) => kase.channel);
  await until(`${dispatched.length} cases forwarded to their platforms`, async () => {
    const records = await Promise.all(dispatched.map((kase) => stack.workflow.get(kase.businessNo)));
    return records.every((record) => record.platformCaseId);
  });
  const onPaper = planned.filter((kase) => kase.channel === 'OFFLINE');
  const waybillOf = (businessNo: string) => stack.courier.waybills().find((waybill) => waybill.businessNo === businessNo);
  await until(`${onPaper.length} waybills ordered`, async () => onPaper.every((kase) => waybillOf(kase.businessNo)));
  for (const [index, kase] of onPaper.entries()) {
    if (index % 2 === 0) await stack.courier.advance(waybillOf(kase.businessNo)!.waybillNo);
  }
  await until('the courier subgraph to know every waybill state', async () => {
    const stored = await stack.shipments.listByCases(onPaper.map((kase) => kase.businessNo));
    return onPaper.every((kase, i) => stored[i]?.[0]?.state === COURIER_STATES[waybillOf(kase.businessNo)!.stateCode]);
  });
  await settled(stack);

  return Promise.all(
    planned.map(async ({ businessNo, item, channel }): Promise<DashboardCase> => {
      const record = await stack.workflow.get(businessNo);
      const waybills = stack.courier.waybills().filter((waybill) => waybill.businessNo === businessNo);
      return {
        businessNo,
        stage: channel ? 'IN_TRANSFER' : 'RECEIVED',
        item: { __typename: ITEM_TYPE[item.region], code: item.code, name: item.name, department: item.department },
        receivingWindow: { id: windowId, name: windowName(windowId) },
        jurisdictionWindow: { id: record.jurisdictionWindowId, name: windowName(record.jurisdictionWindowId) },
        shipments: waybills.map((waybill) => ({ waybillNo: waybill.waybillNo, state: COURIER_STATES[waybill.stateCode] })),
        clock: { status: 'ON_TRACK', paused: channel !== null, limitDays: item.promisedLimitDays, remainingWorkingDays: item.promisedLimitDays },
      };
    }),
  );
}

function windowName(id: string): string {
  const name = WINDOW_NAMES.get(id);
  if (!name) throw new Error(`window ${id} is not in the sample directory`);
  return name;
}

/**
 * Waits until no sandbox has been called for a while: pushes the seeding set off may
 * still be running through the workers, and their platform calls would be counted
 * against the dashboard's.
 */
async function settled(stack: TestStack, quietMs = 500, timeoutMs = 15_000): Promise<void> {
  const total = () =>
    [stack.yukuaiban, stack.sichuan, stack.courier, stack.notify]
      .flatMap((sandbox) => Object.values(sandbox.requestCounts()))
      .reduce((sum, n) => sum + n, 0);
  await stack.courier.pushesSettled();
  let last = total();
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = total();
    if (now === last) return;
    last = now;
  }
  throw new Error(`the sandboxes were still being called ${timeoutMs} ms after seeding`);
}

async function until(what: string, probe: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
