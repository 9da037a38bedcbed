import { describe, expect, it } from 'vitest';
import { buildWorkingCalendar, CalendarYearNotPublishedError, chineseDaysNotices } from '../../domain/calendar/index.js';
import { DEFAULT_CORRECTION_WORKING_DAYS, stageDeadline, stageStatus } from '../../domain/clock/index.js';

const calendar = buildWorkingCalendar(chineseDaysNotices());

describe('stage deadlines from seed 000', () => {
  it('paper mailed within 2 WD of receipt: Fri before the 2025 Spring Festival → Mon 01-27', () => {
    // Receipt day not counted: Sun 01-26 (make-up) 1, Mon 01-27 2.
    expect(stageDeadline('PAPER_MAIL', '2025-01-24T15:00:00+08:00', calendar)).toEqual({
      stage: 'PAPER_MAIL',
      workingDays: 2,
      dueDate: '2025-01-27',
      dueAt: '2025-01-27T23:59:59+08:00',
    });
  });

  it('online transfer within 1 WD of receipt: the last day before National Day → 10-09', () => {
    expect(stageDeadline('ONLINE_TRANSFER', '2025-09-30T16:00:00+08:00', calendar).dueDate).toBe('2025-10-09');
    // An online application received during the break is due on the first working day.
    expect(stageDeadline('ONLINE_TRANSFER', '2025-10-03T10:00:00+08:00', calendar).dueDate).toBe('2025-10-09');
  });

  it('feedback to the receiving window within 1 WD after mailing: Fri 2026-02-13 → Sat 02-14 (make-up)', () => {
    expect(stageDeadline('RECEIVING_WINDOW_FEEDBACK', '2026-02-13T18:00:00+08:00', calendar).dueDate).toBe('2026-02-14');
  });

  it('applicant notified within 1 WD after the result arrives: Sat 2026-02-14 → Tue 02-24', () => {
    expect(stageDeadline('APPLICANT_PICKUP_NOTICE', '2026-02-14T10:00:00+08:00', calendar).dueDate).toBe('2026-02-24');
  });

  it('the date is taken in Asia/Shanghai', () => {
    // 2025-09-29T16:30Z is already Tue 09-30 00:30 in Shanghai.
    expect(stageDeadline('ONLINE_TRANSFER', '2025-09-29T16:30:00Z', calendar).dueDate).toBe('2025-10-09');
    expect(stageDeadline('ONLINE_TRANSFER', '2025-09-29T15:30:00Z', calendar).dueDate).toBe('2025-09-30');
  });

  it('correction deadline defaults to 5 WD and is configurable', () => {
    expect(DEFAULT_CORRECTION_WORKING_DAYS).toBe(5);
    // Fri 09-26: 09-28, 09-29, 09-30, 10-09, 10-10.
    expect(stageDeadline('CORRECTION', '2025-09-26T11:00:00+08:00', calendar)).toMatchObject({
      workingDays: 5,
      dueDate: '2025-10-10',
    });
    // … 10-11, 10-13, 10-14, 10-15, 10-16.
    expect(
      stageDeadline('CORRECTION', '2025-09-26T11:00:00+08:00', calendar, { correctionWorkingDays: 10 }),
    ).toMatchObject({ workingDays: 10, dueDate: '2025-10-16' });
  });

  it('refuses a deadline in an unpublished year', () => {
    const last = calendar.publishedYears.at(-1)!;
    expect(() => stageDeadline('PAPER_MAIL', `${last}-12-31T10:00:00+08:00`, calendar)).toThrow(
      CalendarYearNotPublishedError,
    );
  });
});

describe('stage status', () => {
  const deadline = stageDeadline('PAPER_MAIL', '2025-01-24T15:00:00+08:00', calendar);

  it('met on or before the due day, late after it', () => {
    expect(stageStatus(deadline, { completedAt: '2025-01-27T23:00:00+08:00', now: '2025-02-10T09:00:00+08:00' })).toBe(
      'MET',
    );
    // 16:30Z is 00:30 on 01-28 in Shanghai.
    expect(stageStatus(deadline, { completedAt: '2025-01-27T16:30:00Z', now: '2025-02-10T09:00:00+08:00' })).toBe(
      'MET_LATE',
    );
  });

  it('open steps: on track, at risk on the due day, overdue after it', () => {
    expect(stageStatus(deadline, { completedAt: null, now: '2025-01-26T10:00:00+08:00' })).toBe('ON_TRACK');
    expect(stageStatus(deadline, { completedAt: null, now: '2025-01-27T08:00:00+08:00' })).toBe('AT_RISK');
    expect(stageStatus(deadline, { completedAt: null, now: '2025-01-27T23:59:59+08:00' })).toBe('AT_RISK');
    expect(stageStatus(deadline, { completedAt: null, now: '2025-01-28T00:00:01+08:00' })).toBe('OVERDUE');
  });
});
