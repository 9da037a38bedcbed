import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildWorkingCalendar,
  CalendarYearNotPublishedError,
  chineseDaysNotices,
  validateCalendarOverrides,
} from '../../domain/calendar/index.js';
import {
  applyClockEvent,
  ClockNotStartedError,
  ClockTransitionError,
  evaluateClock,
  finishedWithinLimit,
  NEW_CLOCK,
  replayClock,
  type ClockEventInput,
  type ClockState,
} from '../../domain/clock/index.js';

const calendar = buildWorkingCalendar(chineseDaysNotices());

const start = (at: string): ClockEventInput => ({ type: 'START', at });
const pause = (at: string): ClockEventInput => ({ type: 'PAUSE', at });
const resume = (at: string): ClockEventInput => ({ type: 'RESUME', at });
const stop = (at: string): ClockEventInput => ({ type: 'STOP', at });

describe('a clock running across the 2025 Spring Festival (limit 5 WD)', () => {
  // Accepted Fri 01-24. Counted: Sun 01-26 (make-up) 1, Mon 01-27 2, then 01-28..02-04
  // off, Wed 02-05 3, Thu 02-06 4, Fri 02-07 5 → due 02-07. A plain Mon–Fri count
  // would have said Fri 01-31 and skipped the Sunday make-up day.
  const clock = replayClock([start('2025-01-24T10:00:00+08:00')]);

  it('counts the Sunday make-up day, not the acceptance day', () => {
    expect(evaluateClock(clock, 5, '2025-01-27T09:00:00+08:00', calendar)).toEqual({
      consumedWorkingDays: 2,
      remainingWorkingDays: 3,
      dueAt: '2025-02-07T23:59:59+08:00',
      paused: false,
      status: 'ON_TRACK',
    });
    expect(evaluateClock(clock, 5, '2025-01-24T23:59:00+08:00', calendar).consumedWorkingDays).toBe(0);
  });

  it('does not consume the holiday week', () => {
    expect(evaluateClock(clock, 5, '2025-02-01T12:00:00+08:00', calendar).consumedWorkingDays).toBe(2);
    expect(evaluateClock(clock, 5, '2025-02-04T18:00:00+08:00', calendar).consumedWorkingDays).toBe(2);
  });

  it('is at risk with one day or less left and overdue the day after the due day', () => {
    expect(evaluateClock(clock, 5, '2025-02-05T10:00:00+08:00', calendar).status).toBe('ON_TRACK');
    expect(evaluateClock(clock, 5, '2025-02-06T15:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 4,
      remainingWorkingDays: 1,
      status: 'AT_RISK',
    });
    expect(evaluateClock(clock, 5, '2025-02-07T23:59:59+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 5,
      remainingWorkingDays: 0,
      status: 'AT_RISK',
    });
    // Sat 02-08 is a make-up working day: the sixth counted day.
    expect(evaluateClock(clock, 5, '2025-02-08T09:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 6,
      remainingWorkingDays: 0,
      dueAt: '2025-02-07T23:59:59+08:00',
      status: 'OVERDUE',
    });
  });
});

describe('two pause/resume cycles across the 2025 National Day break (limit 10 WD)', () => {
  const events = [
    start('2025-09-25T09:30:00+08:00'), //   Thu
    pause('2025-09-28T16:00:00+08:00'), //   Sun make-up day: (09-25, 09-28] = 09-26, 09-28 → 2
    resume('2025-10-09T10:00:00+08:00'), //  Thu after the break
    pause('2025-10-10T11:00:00+08:00'), //   (10-09, 10-10] = 10-10 → 1, total 3
    resume('2025-10-10T15:00:00+08:00'), //  same day: 10-10 must not count twice
  ];
  const clock = replayClock(events);

  it('counts only the running intervals', () => {
    // Open interval (10-10, 10-13] = Sat 10-11 (make-up), Mon 10-13 → 2; total 5.
    // Due: 3 used before, 7 more from 10-10: 10-11, 13, 14, 15, 16, 17, 20.
    expect(evaluateClock(clock, 10, '2025-10-13T12:00:00+08:00', calendar)).toEqual({
      consumedWorkingDays: 5,
      remainingWorkingDays: 5,
      dueAt: '2025-10-20T23:59:59+08:00',
      paused: false,
      status: 'ON_TRACK',
    });
  });

  it('while paused the due date is open and the count frozen', () => {
    expect(evaluateClock(clock, 10, '2025-10-05T12:00:00+08:00', calendar)).toEqual({
      consumedWorkingDays: 2,
      remainingWorkingDays: 8,
      dueAt: null,
      paused: true,
      status: 'ON_TRACK',
    });
    expect(evaluateClock(clock, 10, '2025-10-10T12:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 3,
      paused: true,
    });
  });

  it('stops when the result is sent', () => {
    const stopped = applyClockEvent(clock, stop('2025-10-16T17:00:00+08:00'));
    // 3 + (10-10, 10-16] = 10-11, 13, 14, 15, 16 → 8.
    expect(evaluateClock(stopped, 10, '2025-11-30T12:00:00+08:00', calendar)).toEqual({
      consumedWorkingDays: 8,
      remainingWorkingDays: 2,
      dueAt: null,
      paused: false,
      status: 'STOPPED',
    });
  });
});

describe('a pause over the 2026 Spring Festival (limit 3 WD)', () => {
  const clock = replayClock([
    start('2026-02-12T11:00:00+08:00'), //  Thu
    pause('2026-02-13T17:00:00+08:00'), //  Fri → 1
    resume('2026-02-24T09:00:00+08:00'), // Tue after the break; Sat 02-14 fell in the pause
  ]);

  it('skips the make-up Saturday that fell inside the pause', () => {
    expect(evaluateClock(clock, 3, '2026-02-24T16:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 1,
      remainingWorkingDays: 2,
      dueAt: '2026-02-26T23:59:59+08:00',
      status: 'ON_TRACK',
    });
    expect(evaluateClock(clock, 3, '2026-02-25T10:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 2,
      remainingWorkingDays: 1,
      status: 'AT_RISK',
    });
  });
});

describe('due-time edge cases', () => {
  it('is overdue on the weekend after a Friday due day although no day is consumed', () => {
    // Fri 03-07 + 5 WD: 03-10, 11, 12, 13, 14.
    const clock = replayClock([start('2025-03-07T10:00:00+08:00')]);
    expect(evaluateClock(clock, 5, '2025-03-14T20:00:00+08:00', calendar).status).toBe('AT_RISK');
    expect(evaluateClock(clock, 5, '2025-03-15T00:00:01+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 5,
      remainingWorkingDays: 0,
      dueAt: '2025-03-14T23:59:59+08:00',
      status: 'OVERDUE',
    });
  });

  it('a limit of 0 is due at the end of the acceptance day', () => {
    const clock = replayClock([start('2025-03-03T10:00:00+08:00')]);
    expect(evaluateClock(clock, 0, '2025-03-03T15:00:00+08:00', calendar)).toMatchObject({
      dueAt: '2025-03-03T23:59:59+08:00',
      status: 'AT_RISK',
    });
    expect(evaluateClock(clock, 0, '2025-03-04T09:00:00+08:00', calendar).status).toBe('OVERDUE');
  });

  it('a limit used up before a pause stays overdue and keeps its past due day', () => {
    const paused = replayClock([start('2025-03-03T10:00:00+08:00'), pause('2025-03-05T10:00:00+08:00')]);
    expect(evaluateClock(paused, 1, '2025-03-05T12:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 2,
      dueAt: '2025-03-04T23:59:59+08:00',
      paused: true,
      status: 'OVERDUE',
    });
    const resumed = applyClockEvent(paused, resume('2025-03-06T09:00:00+08:00'));
    expect(evaluateClock(resumed, 1, '2025-03-06T12:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 2,
      dueAt: '2025-03-04T23:59:59+08:00',
      status: 'OVERDUE',
    });
  });

  it('reads instants as Asia/Shanghai civil dates', () => {
    // 2025-01-23T16:30Z is Fri 01-24 00:30 in Shanghai, so Friday is the (uncounted) start day.
    const clock = replayClock([start('2025-01-23T16:30:00Z')]);
    expect(evaluateClock(clock, 5, '2025-01-24T15:00:00Z', calendar).consumedWorkingDays).toBe(0);
    expect(evaluateClock(clock, 5, new Date('2025-01-25T16:30:00Z'), calendar).consumedWorkingDays).toBe(1);
    expect(clock.events[0]!.at).toBe('2025-01-23T16:30:00.000Z');
  });

  it('evaluates as of `now`, ignoring later events', () => {
    const clock = replayClock([start('2025-03-03T10:00:00+08:00'), pause('2025-03-12T10:00:00+08:00')]);
    const withoutPause = replayClock([start('2025-03-03T10:00:00+08:00')]);
    const now = '2025-03-06T10:00:00+08:00';
    expect(evaluateClock(clock, 10, now, calendar)).toEqual(evaluateClock(withoutPause, 10, now, calendar));
  });

  it('refuses to project into an unpublished year, and works once its notice is loaded', () => {
    // Sun 2026-12-20 + 20 WD: 9 in late December 2026, 11 in January 2027.
    const clock = replayClock([start('2026-12-20T10:00:00+08:00')]);
    expect(() => evaluateClock(clock, 20, '2026-12-22T10:00:00+08:00', calendar)).toThrow(
      CalendarYearNotPublishedError,
    );
    const with2027 = buildWorkingCalendar(
      chineseDaysNotices(),
      validateCalendarOverrides([
        {
          year: 2027,
          days: [
            { name: '元旦', date: '2027-01-01', isOffDay: true },
            { name: '春节', date: '2027-02-08', isOffDay: true },
            { name: '国庆节', date: '2027-10-01', isOffDay: true },
          ],
        },
      ]),
    );
    // 2027: 01-04..08 (5), 11..15 (10), 18 (11).
    expect(evaluateClock(clock, 20, '2026-12-22T10:00:00+08:00', with2027)).toMatchObject({
      consumedWorkingDays: 2,
      dueAt: '2027-01-18T23:59:59+08:00',
    });
  });

  it('refuses to evaluate before acceptance and refuses bad limits', () => {
    expect(() => evaluateClock(NEW_CLOCK, 5, '2025-03-03T10:00:00+08:00', calendar)).toThrow(ClockNotStartedError);
    const clock = replayClock([start('2025-03-03T10:00:00+08:00')]);
    expect(() => evaluateClock(clock, 5, '2025-03-03T09:00:00+08:00', calendar)).toThrowError(
      expect.objectContaining({ code: 'CLOCK.NOT_STARTED' }),
    );
    for (const limit of [-1, 2.5, Number.NaN]) {
      expect(() => evaluateClock(clock, limit, '2025-03-04T10:00:00+08:00', calendar)).toThrowError(
        expect.objectContaining({ code: 'INPUT.INVALID_LIMIT' }),
      );
    }
  });
});

describe('transitions', () => {
  const running = replayClock([start('2025-03-03T10:00:00+08:00')]);
  const paused = applyClockEvent(running, pause('2025-03-04T10:00:00+08:00'));
  const stopped = applyClockEvent(running, stop('2025-03-05T10:00:00+08:00'));

  const rejected: [string, ClockState, ClockEventInput][] = [
    ['resume while running', running, resume('2025-03-05T10:00:00+08:00')],
    ['start twice', running, start('2025-03-05T10:00:00+08:00')],
    ['pause while paused', paused, pause('2025-03-05T10:00:00+08:00')],
    ['stop twice', stopped, stop('2025-03-06T10:00:00+08:00')],
    ['resume after stop', stopped, resume('2025-03-06T10:00:00+08:00')],
    ['pause before start', NEW_CLOCK, pause('2025-03-05T10:00:00+08:00')],
    ['resume before start', NEW_CLOCK, resume('2025-03-05T10:00:00+08:00')],
    ['stop before start', NEW_CLOCK, stop('2025-03-05T10:00:00+08:00')],
    ['an event earlier than the previous one', paused, resume('2025-03-04T09:59:59+08:00')],
    ['an unknown event type', running, { type: 'RESET', at: '2025-03-05T10:00:00+08:00' } as unknown as ClockEventInput],
  ];

  it.each(rejected)('rejects %s and leaves the state unchanged', (_, state, event) => {
    const before = structuredClone(state);
    expect(() => applyClockEvent(state, event)).toThrowError(
      expect.objectContaining({ name: 'ClockTransitionError', code: 'CLOCK.INVALID_TRANSITION' }),
    );
    expect(state).toEqual(before);
  });

  it('names the state and the event in the message', () => {
    expect(() => applyClockEvent(paused, pause('2025-03-05T10:00:00+08:00'))).toThrow(/PAUSE.*PAUSED/);
    expect(() => applyClockEvent(paused, resume('2025-03-04T09:00:00+08:00'))).toThrow(/早于上一事件 PAUSE/);
  });

  it('rejects an instant without a zone offset or with impossible fields', () => {
    for (const at of ['2025-03-05T10:00:00', '2025-02-30T10:00:00+08:00', '2025-03-05T24:00:00+08:00', 'yesterday']) {
      expect(() => applyClockEvent(running, pause(at)), at).toThrowError(
        expect.objectContaining({ code: 'INPUT.INVALID_INSTANT' }),
      );
    }
    expect(running.events).toHaveLength(1);
  });

  it('accepts an event at the same instant as the previous one, and STOP while paused', () => {
    const same = applyClockEvent(paused, resume('2025-03-04T10:00:00+08:00'));
    expect(same.phase).toBe('RUNNING');
    expect(applyClockEvent(paused, stop('2025-03-06T10:00:00+08:00')).phase).toBe('STOPPED');
  });

  it('returns new frozen states and never mutates the old one', () => {
    expect(paused).not.toBe(running);
    expect(running.phase).toBe('RUNNING');
    expect(running.events).toHaveLength(1);
    expect(paused.events).toHaveLength(2);
    expect(Object.isFrozen(paused)).toBe(true);
    expect(Object.isFrozen(paused.events)).toBe(true);
  });

  it('replay rejects an invalid stored stream', () => {
    expect(() => replayClock([start('2025-03-03T10:00:00+08:00'), resume('2025-03-04T10:00:00+08:00')])).toThrow(
      ClockTransitionError,
    );
  });
});

/** Random valid timelines: START then alternating PAUSE/RESUME, instants in 2024–2025. */
const timeline = fc
  .record({
    startMs: fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2025-06-30T00:00:00Z') }),
    gapsHours: fc.array(fc.integer({ min: 0, max: 24 * 12 }), { maxLength: 8 }),
  })
  .map(({ startMs, gapsHours }) => {
    const events: ClockEventInput[] = [{ type: 'START', at: new Date(startMs).toISOString() }];
    let t = startMs;
    gapsHours.forEach((gap, i) => {
      t += gap * 3_600_000;
      events.push({ type: i % 2 === 0 ? 'PAUSE' : 'RESUME', at: new Date(t).toISOString() });
    });
    return { events, lastMs: t };
  });

const shanghaiDate = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

describe('properties', () => {
  it('consumed equals the number of distinct working days inside running intervals (day-by-day oracle)', () => {
    fc.assert(
      fc.property(timeline, fc.integer({ min: 0, max: 24 * 30 }), ({ events, lastMs }, afterHours) => {
        const nowMs = lastMs + afterHours * 3_600_000;
        const counted = new Set<string>();
        const bounds = [...events.map((event) => Date.parse(event.at as string))];
        if (bounds.length % 2 === 1) bounds.push(nowMs);
        for (let i = 0; i < bounds.length; i += 2) {
          let day = shanghaiDate(bounds[i]!);
          const end = shanghaiDate(bounds[i + 1]!);
          while (day < end) {
            day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
            if (calendar.isWorkingDay(day)) counted.add(day);
          }
        }
        const clock = replayClock(events);
        expect(evaluateClock(clock, 30, new Date(nowMs), calendar).consumedWorkingDays).toBe(counted.size);
      }),
      { numRuns: 500 },
    );
  });

  it('pausing never consumes days', () => {
    fc.assert(
      fc.property(timeline, fc.nat(24 * 40), fc.nat(24 * 40), ({ events, lastMs }, a, b) => {
        const clock = replayClock(events);
        fc.pre(clock.phase === 'PAUSED');
        const at = (hours: number) => evaluateClock(clock, 30, new Date(lastMs + hours * 3_600_000), calendar);
        expect(at(a).consumedWorkingDays).toBe(at(0).consumedWorkingDays);
        expect(at(b).consumedWorkingDays).toBe(at(0).consumedWorkingDays);
        // The due day is open while days are left, and fixed (the same at every instant) once the limit is used up.
        if (at(0).consumedWorkingDays < 30) expect(at(a).dueAt).toBeNull();
        else expect(at(a).dueAt).toBe(at(0).dueAt);
      }),
      { numRuns: 300 },
    );
  });

  it('consumed is monotone in `now`', () => {
    fc.assert(
      fc.property(timeline, fc.nat(24 * 60), fc.nat(24 * 60), ({ events }, x, y) => {
        const clock = replayClock(events);
        const startMs = Date.parse(events[0]!.at as string);
        const [early, late] = x <= y ? [x, y] : [y, x];
        const consumedAt = (hours: number) =>
          evaluateClock(clock, 30, new Date(startMs + hours * 3_600_000), calendar).consumedWorkingDays;
        expect(consumedAt(early)).toBeLessThanOrEqual(consumedAt(late));
      }),
      { numRuns: 500 },
    );
  });

  it('a running clock is due on a working day, exactly when consumed reaches the limit', () => {
    fc.assert(
      fc.property(timeline, fc.integer({ min: 1, max: 40 }), ({ events, lastMs }, limit) => {
        const clock = replayClock(events);
        fc.pre(clock.phase === 'RUNNING');
        const evaluation = evaluateClock(clock, limit, new Date(lastMs), calendar);
        const dueDate = evaluation.dueAt!.slice(0, 10);
        expect(calendar.isWorkingDay(dueDate)).toBe(true);
        const atDue = evaluateClock(clock, limit, `${dueDate}T23:59:59+08:00`, calendar);
        expect(atDue.consumedWorkingDays).toBe(limit);
      }),
      { numRuns: 500 },
    );
  });
});

describe('one definition of 承诺时限内办结, at its exact edges (limit 3 WD)', () => {
  // Accepted Tue 2025-03-04: Wed 1, Thu 2, Fri 03-07 3 → due Fri 23:59:59.
  const accepted = start('2025-03-04T10:00:00+08:00');

  it('a result sent by the end of the due Friday is within; sent on Saturday it is late, and the clock said so', () => {
    const running = replayClock([accepted]);
    expect(evaluateClock(running, 3, '2025-03-07T23:59:59+08:00', calendar).status).toBe('AT_RISK');
    expect(evaluateClock(running, 3, '2025-03-08T00:00:00+08:00', calendar).status).toBe('OVERDUE');
    expect(finishedWithinLimit(applyClockEvent(running, stop('2025-03-07T23:59:59+08:00')), 3, calendar)).toBe(true);
    expect(finishedWithinLimit(applyClockEvent(running, stop('2025-03-08T10:00:00+08:00')), 3, calendar)).toBe(false);
  });

  it('a limit used up just before a pause: overdue past its due day while paused, and late when finished after it', () => {
    const paused = replayClock([accepted, pause('2025-03-07T16:00:00+08:00')]);
    expect(evaluateClock(paused, 3, '2025-03-07T18:00:00+08:00', calendar)).toMatchObject({
      consumedWorkingDays: 3,
      dueAt: '2025-03-07T23:59:59+08:00',
      status: 'AT_RISK',
    });
    expect(evaluateClock(paused, 3, '2025-03-10T09:00:00+08:00', calendar).status).toBe('OVERDUE');
    const resumed = applyClockEvent(paused, resume('2025-03-10T09:00:00+08:00'));
    // The resume day itself is not counted (民法典 art. 201), yet the due day is behind it.
    expect(evaluateClock(resumed, 3, '2025-03-10T10:00:00+08:00', calendar)).toMatchObject({ consumedWorkingDays: 3, status: 'OVERDUE' });
    expect(finishedWithinLimit(applyClockEvent(resumed, stop('2025-03-10T10:00:00+08:00')), 3, calendar)).toBe(false);
    // Ended while paused on the due day: within.
    expect(finishedWithinLimit(applyClockEvent(paused, stop('2025-03-07T17:00:00+08:00')), 3, calendar)).toBe(true);
  });

  it('a pause with days left keeps the due day open, and a finish within the days left is within', () => {
    const paused = replayClock([accepted, pause('2025-03-05T16:00:00+08:00')]);
    expect(evaluateClock(paused, 3, '2025-03-12T09:00:00+08:00', calendar)).toMatchObject({ consumedWorkingDays: 1, dueAt: null, status: 'ON_TRACK' });
    const resumed = applyClockEvent(paused, resume('2025-03-12T09:00:00+08:00'));
    // Resumed Wed 03-12: Thu 2, Fri 03-14 3.
    expect(evaluateClock(resumed, 3, '2025-03-12T10:00:00+08:00', calendar).dueAt).toBe('2025-03-14T23:59:59+08:00');
    expect(finishedWithinLimit(applyClockEvent(resumed, stop('2025-03-14T20:00:00+08:00')), 3, calendar)).toBe(true);
    expect(finishedWithinLimit(applyClockEvent(resumed, stop('2025-03-17T08:00:00+08:00')), 3, calendar)).toBe(false);
    expect(finishedWithinLimit(resumed, 3, calendar)).toBeNull();
  });

  it('agrees with the clock at every instant: finished within iff the clock was not overdue at the stop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 0, max: 6 }), (hours, limit) => {
        const running = replayClock([accepted]);
        const at = new Date(Date.parse('2025-03-04T10:00:00+08:00') + hours * 3_600_000).toISOString();
        const within = finishedWithinLimit(applyClockEvent(running, stop(at)), limit, calendar);
        expect(within).toBe(evaluateClock(running, limit, at, calendar).status !== 'OVERDUE');
      }),
      { numRuns: 300 },
    );
  });
});
