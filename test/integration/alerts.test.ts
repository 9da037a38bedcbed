import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { OutboundMessage } from '../../adapters/notify/notify.port.js';
import { deadlineAlertProcessor } from '../../jobs/deadline-alert.processor.js';
import { notificationProcessor } from '../../jobs/notification.processor.js';
import type { NotificationJob } from '../../ledger/workflow/ports.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { scheduleRecurringJobs } from '../../jobs/schedules.js';
import { formatBusinessNo } from '../../domain/workflow/business-number.js';
import { plannedAlerts, type AlertPlan } from '../../ledger/alerts/case-alerts.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { DEFAULT_CALLER, startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const calendar = getDefaultCalendar();

describe('deadline alerts', () => {
  let stack: TestStack;
  let queue: Queue<AlertPlan>;
  let events: QueueEvents;
  let now = new Date('2025-09-26T10:00:00+08:00');

  const receive = async (complete = true) => {
    const materials = ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies }));
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: complete ? materials : materials.slice(1),
        handler: '李四',
      },
      'test',
    );
    return record.businessNo;
  };

  const instants = (plan: { kind: string; level: string; dueAt: string; fireAt: string }) => [plan.kind, plan.level, Date.parse(plan.dueAt), Date.parse(plan.fireAt)];
  const scheduled = async (no: string) => (await stack.queues.alerts.scheduled(no)).map(instants).sort();

  /** The processor run directly, as a retried job or a restarted worker would run it again. */
  const processorAt = (clock: () => Date) =>
    deadlineAlertProcessor({
      workflow: stack.workflow,
      alerts: stack.alerts,
      directory: { getMany: async () => [], list: async () => [] },
      calendar,
      notifications: stack.queues.notifications,
      timetable: stack.queues.alerts,
      now: clock,
    });

  /** Sweeps the timetable as the recurring job does, and waits for the alert's job: completed jobs are not kept, so its outcome comes from the queue's events. */
  const fire = async (id: string) => {
    const outcome = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`alert job ${id} did not run`)), 10_000);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        events.off('completed', completed);
        events.off('failed', failed);
        settle();
      };
      const completed = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => jobId === id && done(() => resolve(returnvalue));
      const failed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => jobId === id && done(() => reject(new Error(failedReason)));
      events.on('completed', completed);
      events.on('failed', failed);
    });
    expect(await stack.queues.alerts.promoteDue()).toBeGreaterThanOrEqual(1);
    expect(await stack.queues.alerts.scheduled(id.split('-')[1]!)).not.toContainEqual(expect.objectContaining({ id }));
    return outcome;
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    queue = new Queue(QUEUES.deadlineAlerts, { connection: stack.redis.duplicate({ keyPrefix: '' }), prefix: bullPrefix(stack.prefix) });
    events = new QueueEvents(QUEUES.deadlineAlerts, { connection: stack.redis.duplicate({ keyPrefix: '', maxRetriesPerRequest: null }), prefix: bullPrefix(stack.prefix) });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await stack?.close();
  });

  it('schedules the promised limit across National Day, drops it while paused and reschedules on resume', async () => {
    const no = await receive();
    const limit = ITEM.promisedLimitDays;
    const due = calendar.addWorkingDays('2025-09-26', limit);
    const atRisk = calendar.addWorkingDays('2025-09-26', limit - 1);
    expect(await scheduled(no)).toEqual(
      [
        ['PROMISED_LIMIT', 'AT_RISK', Date.parse(`${due}T23:59:59+08:00`), Date.parse(`${atRisk}T00:00:00+08:00`)],
        ['PROMISED_LIMIT', 'OVERDUE', Date.parse(`${due}T23:59:59+08:00`), Date.parse(`${due}T23:59:59+08:00`) + 1000],
      ].sort(),
    );
    // 09-28 (Sunday) and 10-11 (Saturday) are make-up working days; 10-01..10-08 are not.
    expect(due > '2025-10-08').toBe(true);

    now = new Date('2025-09-28T16:00:00+08:00');
    await scanMaterials(stack, no);
    await stack.workflow.dispatchMaterials(no, 'ONLINE', 'test');
    for (const deadline = Date.now() + 10_000; !(await stack.workflow.get(no)).platformCaseId; ) {
      if (Date.now() > deadline) throw new Error('not forwarded');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Paused, and the online transfer met on time: nothing left to warn about.
    expect(await scheduled(no)).toEqual([]);

    now = new Date('2025-10-09T09:00:00+08:00');
    await stack.workflow.confirmMaterialsReceived(no, 'test');
    // One working day used before the pause (09-28); the rest counts from 10-09.
    const resumedDue = calendar.addWorkingDays('2025-10-09', limit - 1);
    expect((await scheduled(no)).map(([kind, level, dueAt]) => [kind, level, dueAt])).toEqual([
      ['PROMISED_LIMIT', 'AT_RISK', Date.parse(`${resumedDue}T23:59:59+08:00`)],
      ['PROMISED_LIMIT', 'OVERDUE', Date.parse(`${resumedDue}T23:59:59+08:00`)],
    ]);
  });

  it('raises each alert once, notifies the window, and lets its staff acknowledge it', async () => {
    now = new Date('2025-11-24T10:00:00+08:00');
    const no = await receive();
    const [plan] = (await stack.queues.alerts.scheduled(no)).filter((p) => p.level === 'AT_RISK');
    now = new Date(Date.parse(plan!.fireAt) + 3_600_000);
    stack.notify.clearOutbox();

    expect(await fire(plan!.id)).toBe('RAISED');
    // The same alert again — a retried job or a restarted worker — raises nothing new.
    const processor = processorAt(() => now);
    const again = await Promise.all([processor({ data: plan } as never), processor({ data: plan } as never)]);
    expect(again).toEqual(['ALREADY_RAISED', 'ALREADY_RAISED']);

    // The sweep also fires the earlier tests' alerts whose time this clock has passed: only this case's mail counts here.
    const mailOf = () => stack.notify.outbox().filter((message) => message.businessNo === no);
    for (const deadline = Date.now() + 10_000; mailOf().length === 0; ) {
      if (Date.now() > deadline) throw new Error('no notification sent');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(mailOf()).toEqual([
      expect.objectContaining({ channel: 'EMAIL', to: 'cytb.cq@example.gov.cn', template: 'DEADLINE_AT_RISK', businessNo: no }),
    ]);

    const listed = await stack.query<{ alerts: { id: string; kind: string; level: string; case: { businessNo: string } }[] }>(
      '{ alerts(status: OPEN) { id kind level case { businessNo } } }',
    );
    expect(listed.data!.alerts).toContainEqual({ id: plan!.id, kind: 'PROMISED_LIMIT', level: 'AT_RISK', case: { businessNo: no } });
    const ack = await stack.query('mutation ($id: ID!) { acknowledgeAlert(id: $id) { status acknowledgedBy } }', { id: plan!.id });
    expect(ack.data).toEqual({ acknowledgeAlert: { status: 'ACKNOWLEDGED', acknowledgedBy: `${DEFAULT_CALLER.role}:${DEFAULT_CALLER.subject}` } });
    const other = await stack.as({ subject: 'x', role: 'WINDOW_STAFF', region: 'SICHUAN', windowId: 'W-513200-01' }).query('{ alerts { id } }');
    expect(other.data).toEqual({ alerts: [] });
  });

  it('still sends the messages of an alert whose first run died after raising it, and sends them once', async () => {
    now = new Date('2025-11-24T10:00:00+08:00');
    const no = await receive();
    const [plan] = (await stack.queues.alerts.scheduled(no)).filter((p) => p.level === 'AT_RISK');
    now = new Date(Date.parse(plan!.fireAt) + 3_600_000);
    // What the dead run left: the alert written, no message queued.
    await stack.alerts.raise({
      id: plan!.id,
      businessNo: no,
      kind: plan!.kind,
      level: plan!.level,
      dueAt: plan!.dueAt,
      raisedAt: now.toISOString(),
      windowIds: ['W-500000-01'],
      status: 'OPEN',
      acknowledgedBy: null,
      acknowledgedAt: null,
    });
    const processor = deadlineAlertProcessor({
      workflow: stack.workflow,
      alerts: stack.alerts,
      directory: { getMany: async () => [{ name: '重庆市政务服务中心', contact: { email: 'cytb.cq@example.gov.cn' } } as never], list: async () => [] },
      calendar,
      notifications: stack.queues.notifications,
      timetable: stack.queues.alerts,
      now: () => now,
    });
    expect(await processor({ data: plan } as never)).toBe('ALREADY_RAISED');
    expect(await processor({ data: plan } as never)).toBe('ALREADY_RAISED');
    const mailOf = () => stack.notify.outbox().filter((message) => message.businessNo === no);
    for (const deadline = Date.now() + 10_000; mailOf().length === 0; ) {
      if (Date.now() > deadline) throw new Error('the raised alert\'s message was never sent');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailOf()).toEqual([expect.objectContaining({ channel: 'EMAIL', template: 'DEADLINE_AT_RISK', businessNo: no })]);
  });

  it('queues the correction reminder with a reference to the case, not the phone, and sends it to the phone the ledger holds', async () => {
    now = new Date('2025-11-24T10:00:00+08:00');
    const deficient = await receive(false);
    const atRisk = (await stack.queues.alerts.scheduled(deficient)).find((p) => p.kind === 'CORRECTION' && p.level === 'AT_RISK')!;
    const queued: NotificationJob[] = [];
    const processor = deadlineAlertProcessor({
      workflow: stack.workflow,
      alerts: stack.alerts,
      directory: { getMany: async () => [], list: async () => [] },
      calendar,
      notifications: { enqueue: async (message) => void queued.push(message) },
      timetable: stack.queues.alerts,
      now: () => new Date(Date.parse(atRisk.fireAt) + 60_000),
    });
    expect(await processor({ data: atRisk } as never)).toBe('RAISED');
    // Job data is what ops see in the queue dashboard and what failed jobs keep.
    expect(JSON.stringify(queued)).not.toContain('13812345678');
    const sms = queued.find((message) => message.channel === 'SMS')!;
    expect(sms).toMatchObject({ template: 'CORRECTION_REMINDER', recipient: { kind: 'CASE_CONTACT', businessNo: deficient } });

    const sent: OutboundMessage[] = [];
    const send = notificationProcessor({
      workflow: stack.workflow,
      notify: { send: async (message) => (sent.push(message), { messageId: 'm-1', acceptedAt: '2025-11-24T10:00:00.000+08:00', duplicate: false }) },
    });
    await send({ data: sms });
    expect(sent).toEqual([expect.objectContaining({ channel: 'SMS', to: '13812345678', template: 'CORRECTION_REMINDER', businessNo: deficient })]);
  });

  it('treats an application not corrected by the deadline as abandoned, and ignores met deadlines', async () => {
    now = new Date('2025-11-24T10:00:00+08:00');
    const deficient = await receive(false);
    const plans = await stack.queues.alerts.scheduled(deficient);
    expect(plans.map((p) => [p.kind, p.level]).sort()).toEqual([
      ['CORRECTION', 'AT_RISK'],
      ['CORRECTION', 'OVERDUE'],
    ]);
    const overdue = plans.find((p) => p.level === 'OVERDUE')!;
    now = new Date(Date.parse(overdue.fireAt) + 60_000);
    expect(await fire(overdue.id)).toBe('RAISED');
    expect((await stack.workflow.get(deficient)).stage).toBe('ABANDONED');

    // A deadline met before its alert fires: the job finds nothing to raise.
    now = new Date('2025-11-24T10:00:00+08:00');
    const met = await receive();
    const [stale] = await stack.queues.alerts.scheduled(met);
    await scanMaterials(stack, met);
    await stack.workflow.dispatchMaterials(met, 'ONLINE', 'test');
    const processor = processorAt(() => new Date('2026-06-01T10:00:00+08:00'));
    expect(await processor({ data: stale } as never)).toBe('STALE');
  });

  it('raises an alert through the recurring sweep the workers register, with nobody sweeping by hand', async () => {
    now = new Date('2025-11-24T10:00:00+08:00');
    const no = await receive();
    const [plan] = (await stack.queues.alerts.scheduled(no)).filter((p) => p.level === 'AT_RISK');
    const connection = stack.redis.duplicate({ keyPrefix: '', maxRetriesPerRequest: null });
    const sweep = new Queue(QUEUES.alertSweep, { connection, prefix: bullPrefix(stack.prefix) });
    try {
      await scheduleRecurringJobs(connection, bullPrefix(stack.prefix), { platformPollMs: 3_600_000, courierPollMs: 3_600_000, alertSweepMs: 200, uploadSweepMs: 3_600_000, caseArchiveMs: 3_600_000 });
      // The first sweep runs at once and finds nothing due; the alert's time comes after it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await stack.alerts.get(plan!.id)).toBeNull();
      now = new Date(Date.parse(plan!.fireAt) + 60_000);
      for (const deadline = Date.now() + 10_000; !(await stack.alerts.get(plan!.id)); ) {
        if (Date.now() > deadline) throw new Error('the sweep raised nothing');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await stack.queues.alerts.scheduled(no)).not.toContainEqual(expect.objectContaining({ id: plan!.id }));
    } finally {
      await sweep.removeJobScheduler('alert-sweep');
      for (const name of [QUEUES.platformPoll, QUEUES.courierPoll]) {
        const poll = new Queue(name, { connection, prefix: bullPrefix(stack.prefix) });
        await poll.removeJobScheduler(name === QUEUES.platformPoll ? 'platform-poll' : 'courier-poll');
        await poll.close();
      }
      await sweep.close();
      connection.disconnect();
    }
  });

  describe('re-planning many cases at once (syncMany)', () => {
    let sequence = 90_000;
    // Cases as the workflow made them, under business numbers of their own whose alerts nothing has scheduled yet.
    const copy = (record: CaseRecord): CaseRecord => ({ ...record, businessNo: formatBusinessNo('2025-11-23', '510000', ++sequence) });
    const plans = (record: CaseRecord) => plannedAlerts(record, calendar).map(instants).sort();

    let running: CaseRecord;
    let dispatched: CaseRecord;
    let deficient: CaseRecord;
    beforeAll(async () => {
      now = new Date('2025-11-24T10:00:00+08:00');
      running = await stack.workflow.get(await receive());
      deficient = await stack.workflow.get(await receive(false));
      const toDispatch = await receive();
      await scanMaterials(stack, toDispatch);
      dispatched = await stack.workflow.dispatchMaterials(toDispatch, 'ONLINE', 'test');
    });

    it('puts every plan of every case on the timetable once, at its fire time', async () => {
      // An hour after receipt: every plan, the online transfer's at-risk alert on the next day included, still lies ahead.
      now = new Date('2025-11-24T11:00:00+08:00');
      const cases = [copy(running), copy(deficient), copy(dispatched)];
      // Counted by business number: the stack's own workers move other cases' alerts meanwhile.
      const onTimetable = async () => (await Promise.all(cases.map((record) => stack.queues.alerts.scheduled(record.businessNo)))).flat().length;
      await stack.queues.alerts.syncMany(cases.map((next) => ({ previous: null, next })));
      for (const record of cases) expect(await scheduled(record.businessNo)).toEqual(plans(record));
      expect(await onTimetable()).toBe(6);
      // Nothing is due yet: no job exists before the sweep finds its time come.
      expect(await stack.queues.alerts.promoteDue()).toBe(0);
      for (const plan of plannedAlerts(cases[0]!, calendar)) expect(await queue.getJob(plan.id)).toBeUndefined();

      // Adding twice schedules once, for many cases or for one.
      await stack.queues.alerts.syncMany(cases.map((next) => ({ previous: null, next })));
      await stack.queues.alerts.syncMany([{ previous: null, next: cases[0]! }]);
      expect(await onTimetable()).toBe(6);
    });

    it('fires a swept plan once: a later change that still plans it does not put it back', async () => {
      now = new Date('2025-11-24T11:00:00+08:00');
      const record = copy(running);
      await stack.queues.alerts.syncMany([{ previous: null, next: record }]);
      const [atRisk] = plannedAlerts(record, calendar).filter((plan) => plan.level === 'AT_RISK');
      now = new Date(Date.parse(atRisk!.fireAt) + 1000);
      expect(await fire(atRisk!.id)).toBe('CASE_GONE');
      // An unrelated change (a new version of the same state): the at-risk plan stays swept, the overdue one waits.
      await stack.queues.alerts.syncMany([{ previous: record, next: { ...record, version: record.version + 1 } }]);
      expect((await scheduled(record.businessNo)).map(([, level]) => level)).toEqual(['OVERDUE']);
      // After a restart the reconciliation has no previous state: every plan goes back, and its alert would raise once.
      await stack.queues.alerts.syncMany([{ previous: null, next: record }]);
      expect((await scheduled(record.businessNo)).map(([, level]) => level).sort()).toEqual(['AT_RISK', 'OVERDUE']);
    });

    it('puts a plan whose time a calendar change moved on back on the timetable instead of raising it', async () => {
      now = new Date('2025-11-24T11:00:00+08:00');
      const no = await receive();
      const [plan] = (await stack.queues.alerts.scheduled(no)).filter((p) => p.level === 'OVERDUE');
      // Off the timetable, as the sweep leaves a plan it took (here by a copy of the case paused with days left, which plans nothing).
      const record = await stack.workflow.get(no);
      await stack.queues.alerts.syncMany([{ previous: record, next: { ...record, clock: { phase: 'PAUSED', events: [...record.clock.events, { type: 'PAUSE', at: now.toISOString() }] } } }]);
      expect(await scheduled(no)).toEqual([]);
      const processor = processorAt(() => now);
      // The job was swept on a timetable that said its time had come; the case says it has not.
      expect(await processor({ data: plan! })).toBe('RESCHEDULED');
      expect(await stack.alerts.get(plan!.id)).toBeNull();
      expect(await stack.queues.alerts.scheduled(no)).toEqual([plan]);
    });

    it('removes the plans a change ends and adds the ones it starts', async () => {
      const before = copy(running);
      await stack.queues.alerts.syncMany([{ previous: null, next: before }]);
      const after = { ...dispatched, businessNo: before.businessNo };
      await stack.queues.alerts.syncMany([{ previous: before, next: after }]);
      expect(await scheduled(before.businessNo)).toEqual(plans(after));
      expect(plans(after).map(([kind]) => kind)).toEqual(['ONLINE_TRANSFER', 'ONLINE_TRANSFER']);
    });

    it('lets the last change of a plan decide, and tolerates plans already off the timetable', async () => {
      const first = copy(running);
      const paused = { ...dispatched, businessNo: first.businessNo };
      // Received, dispatched, then back to the first record's plans within one batch: they end up scheduled.
      await stack.queues.alerts.syncMany([
        { previous: null, next: first },
        { previous: first, next: paused },
        { previous: paused, next: first },
      ]);
      expect(await scheduled(first.businessNo)).toEqual(plans(first));

      // The previous plans of this case were never scheduled: nothing to remove, the new ones are added.
      const unscheduled = copy(running);
      const next = { ...dispatched, businessNo: unscheduled.businessNo };
      await stack.queues.alerts.syncMany([{ previous: unscheduled, next }]);
      expect(await scheduled(unscheduled.businessNo)).toEqual(plans(next));
    });
  });
});
