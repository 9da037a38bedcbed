import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOfCase } from '../../ledger/cases/case-partitions.js';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { alertSweepProcessor } from '../../jobs/alert-sweep.processor.js';
import { notificationOutboxKey } from '../../queues/notifications.queue.js';
import { notificationProcessor } from '../../jobs/notification.processor.js';
import { createNotifyClient } from '../../lib/platforms.js';
import { bullPrefix } from '../../queues/queues.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../../lib/files/upload-record.store.js';
import { CaseWorkflow } from '../../ledger/workflow/case-workflow.service.js';
import { CaseStore } from '../../ledger/cases/case.store.js';
import { CaseArchives } from '../../ledger/cases/case-archive.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { ResultDelivery } from '../../ledger/cases/case.model.js';
import { until } from '../support/until.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * From the decision to the applicant (seed 000 二(四)): the result goes the way the
 * applicant chose, the receiving window is told within a working day, and the
 * applicant is told by SMS — each deadline met by the event itself, not by a call
 * that claims it.
 */
const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const RECEIVING = 'W-500000-01';
const JURISDICTION = 'W-510000-01';
const ADDRESS = { recipient: '赵工', phone: '13812345678', address: '重庆市渝北区金开大道 1 号', postcode: '401120' };

describe('result delivery', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  const at = (iso: string) => {
    now = new Date(iso);
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** A case received on Monday 2025-11-24 and decided by Sichuan. */
  async function decided(method: ResultDelivery): Promise<string> {
    at('2025-11-24T10:00:00+08:00');
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: RECEIVING,
        itemCode: SICHUAN_WATER.code,
        applicant: { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: method === 'MAIL' ? { method, address: ADDRESS } : { method },
        materials: SICHUAN_WATER.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    const no = record.businessNo;
    await scanMaterials(stack, no);
    await stack.workflow.dispatchMaterials(no, 'ONLINE', 'test');
    const platformCaseId = await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId);
    for (let step = 0; step < 3; step++) await stack.sichuan.advance(platformCaseId);
    await until('the decision', async () => (await stack.workflow.get(no)).stage === 'DECIDED');
    return no;
  }

  const mutate = (mutation: string, no: string, windowId: string) =>
    stack.as(staffAt(windowId)).query(`mutation ($no: ID!) { ${mutation} { stage result { method waybillNo applicantNotifiedAt } } }`, { no });

  async function deadline(no: string, kind: string): Promise<string> {
    const result = await stack.as(staffAt(RECEIVING)).query<{ case: { deadlines: { kind: string; status: string }[] } }>(
      'query ($no: ID!) { case(businessNo: $no) { deadlines { kind status } } }',
      { no },
    );
    return result.data!.case.deadlines.find((d) => d.kind === kind)!.status;
  }

  describe("the applicant's choice of delivery", () => {
    it('refuses to mail the result of an applicant who collects it, and to hold for pickup one who waits for the post, changing nothing', async () => {
      const pickup = await decided('PICKUP');
      const before = await stack.workflow.get(pickup);
      const mailed = await mutate('recordResultDispatched(businessNo: $no, delivery: { method: MAIL, waybillNo: "1100000000031" })', pickup, JURISDICTION);
      expect(mailed.errors?.[0]?.extensions?.code).toBe('CASE.DELIVERY_MISMATCH');
      expect(await stack.workflow.get(pickup)).toEqual(before);
      const held = await mutate('recordResultDispatched(businessNo: $no, delivery: { method: PICKUP })', pickup, JURISDICTION);
      expect(held.data).toMatchObject({ recordResultDispatched: { stage: 'RESULT_DISPATCHED', result: { method: 'PICKUP' } } });
      expect((await mutate('recordResultAtWindow(businessNo: $no)', pickup, RECEIVING)).data).toMatchObject({ recordResultAtWindow: { stage: 'AWAITING_PICKUP' } });

      const mail = await decided('MAIL');
      const mailBefore = await stack.workflow.get(mail);
      const wrong = await mutate('recordResultDispatched(businessNo: $no, delivery: { method: PICKUP })', mail, JURISDICTION);
      expect(wrong.errors?.[0]?.extensions?.code).toBe('CASE.DELIVERY_MISMATCH');
      expect(await stack.workflow.get(mail)).toEqual(mailBefore);
      const right = await mutate('recordResultDispatched(businessNo: $no, delivery: { method: MAIL, waybillNo: "1100000000031" })', mail, JURISDICTION);
      expect(right.data).toMatchObject({ recordResultDispatched: { stage: 'RESULT_DISPATCHED', result: { method: 'MAIL', waybillNo: '1100000000031' } } });
    });
  });

  describe('the feedback to the receiving window (1 working day after the result is sent)', () => {
    // Sent on Friday 2025-11-28: due by the end of Monday 2025-12-01.
    async function dispatchedOnFriday(): Promise<string> {
      const no = await decided('PICKUP');
      at('2025-11-28T15:00:00+08:00');
      await mutate('recordResultDispatched(businessNo: $no, delivery: { method: PICKUP })', no, JURISDICTION);
      return no;
    }

    it('is open when the result is sent, met by feedback at the last second of the next working day, late one second after', async () => {
      const onTime = await dispatchedOnFriday();
      const late = await dispatchedOnFriday();
      expect(await deadline(onTime, 'RECEIVING_WINDOW_FEEDBACK')).toBe('ON_TRACK');

      at('2025-12-01T23:59:59+08:00');
      expect(await deadline(late, 'RECEIVING_WINDOW_FEEDBACK')).toBe('AT_RISK');
      expect((await mutate('recordReceivingWindowFeedback(businessNo: $no)', onTime, JURISDICTION)).errors).toBeUndefined();
      at('2025-12-02T00:00:00+08:00');
      expect(await deadline(late, 'RECEIVING_WINDOW_FEEDBACK')).toBe('OVERDUE');
      expect((await mutate('recordReceivingWindowFeedback(businessNo: $no)', late, JURISDICTION)).errors).toBeUndefined();

      expect(await deadline(onTime, 'RECEIVING_WINDOW_FEEDBACK')).toBe('MET');
      expect(await deadline(late, 'RECEIVING_WINDOW_FEEDBACK')).toBe('MET_LATE');
      // Recorded once: a second call changes nothing.
      const events = async (no: string) => (await stack.store.events(no)).filter((e) => e.type === 'RECEIVING_WINDOW_FEEDBACK_GIVEN');
      await mutate('recordReceivingWindowFeedback(businessNo: $no)', onTime, JURISDICTION);
      expect(await events(onTime)).toHaveLength(1);
      // The receiving window does not tell itself.
      const self = await mutate('recordReceivingWindowFeedback(businessNo: $no)', late, RECEIVING);
      expect(self.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
    });
  });

  describe('the pickup notice to the applicant', () => {
    async function atWindow(): Promise<string> {
      const no = await decided('PICKUP');
      at('2025-11-28T15:00:00+08:00');
      await mutate('recordResultDispatched(businessNo: $no, delivery: { method: PICKUP })', no, JURISDICTION);
      at('2025-12-01T10:00:00+08:00');
      await mutate('recordResultAtWindow(businessNo: $no)', no, RECEIVING);
      return no;
    }

    const smsTo = (no: string) => stack.notify.outbox().filter((m) => m.businessNo === no);

    it('sends one SMS through the gateway, and the deadline is met when the gateway accepts it, not when the window asks', async () => {
      const no = await atWindow();
      const asked = await mutate('notifyApplicantForPickup(businessNo: $no)', no, RECEIVING);
      expect(asked.data).toMatchObject({ notifyApplicantForPickup: { stage: 'AWAITING_PICKUP' } });

      const notified = await until('the applicant notified', async () => (await stack.workflow.get(no)).result?.applicantNotifiedAt);
      expect(await deadline(no, 'APPLICANT_PICKUP_NOTICE')).toBe('MET');
      expect(smsTo(no)).toEqual([
        expect.objectContaining({ channel: 'SMS', to: '13812345678', template: 'PICKUP_READY', text: expect.stringContaining(SICHUAN_WATER.name) }),
      ]);
      // The sandbox gateway keeps real time, years after this test's clock: its time is bounded to ours.
      expect(notified).toBe(now.toISOString());
      expect(stack.outsideTimes).toContainEqual(expect.objectContaining({ source: 'notify', businessNo: no, used: now.toISOString() }));

      // Asked again: nothing new queued, nothing sent twice.
      await mutate('notifyApplicantForPickup(businessNo: $no)', no, RECEIVING);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(smsTo(no)).toHaveLength(1);
      const types = (await stack.store.events(no)).map((e) => e.type);
      expect(types.filter((t) => t === 'APPLICANT_PICKUP_NOTICE_QUEUED')).toHaveLength(1);
      expect(types.filter((t) => t === 'APPLICANT_NOTIFIED_FOR_PICKUP')).toHaveLength(1);
    });

    it('commits the message with the case change: queued by the sweep when the immediate queueing fails, sent once however often the job runs', async () => {
      const no = await atWindow();
      const calendar = getDefaultCalendar();
      const workflow = new CaseWorkflow({
        store: new CaseStore(stack.redis, calendar, new CaseArchives(stack.fileStore)),
        windows: new WindowStore(stack.redis),
        platforms: { CHONGQING: null!, SICHUAN: null! },
        calendar,
        transfers: stack.queues.transfers,
        notifications: {
          intent: (message, when, businessNo) => stack.queues.notifications.intent(message, when, businessNo),
          enqueue: async () => {
            throw new Error('Connection is closed.');
          },
        },
        alerts: stack.queues.alerts,
        uploads: new UploadRecordStore(stack.redis, UPLOAD_RECORD_PREFIX),
        caseFilesMaxBytes: stack.config.files.policy.caseMaxBytes,
        verifyBaseUrl: stack.config.certificates.verifyBaseUrl,
        now: () => now,
      });
      const asked = await workflow.notifyApplicantForPickup(no, 'test');
      expect(asked.result).toMatchObject({ applicantNotifiedAt: null, pickupNoticeQueuedAt: now.toISOString() });
      const outbox = await stack.redis.zrange(notificationOutboxKey(bullPrefix(''), partitionOfCase(no)), '0', '-1');
      expect(outbox.map((entry) => JSON.parse(entry).businessNo)).toContain(no);
      expect(await deadline(no, 'APPLICANT_PICKUP_NOTICE')).toBe('ON_TRACK');

      const sweep = alertSweepProcessor({ timetable: stack.queues.alerts, transfers: stack.queues.transfers, notifications: stack.queues.notifications });
      expect((await sweep()).notificationsQueued).toBeGreaterThanOrEqual(1);
      expect(await stack.queues.notifications.pending()).toBe(0);
      await until('the applicant notified', async () => (await stack.workflow.get(no)).result?.applicantNotifiedAt);
      expect(await deadline(no, 'APPLICANT_PICKUP_NOTICE')).toBe('MET');

      // The same job run again (a worker that died before acknowledging it): the gateway sends nothing new.
      const message = JSON.parse(outbox.find((entry) => JSON.parse(entry).businessNo === no)!);
      const process = notificationProcessor({ notify: createNotifyClient(stack.config, stack.notify.url), workflow: stack.workflow });
      expect(await process({ data: message })).toMatchObject({ duplicate: true });
      expect(smsTo(no)).toHaveLength(1);
      expect((await stack.store.events(no)).filter((e) => e.type === 'APPLICANT_NOTIFIED_FOR_PICKUP')).toHaveLength(1);
    });
  });
});
