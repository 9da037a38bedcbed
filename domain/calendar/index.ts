export {
  CalendarYearNotPublishedError,
  InvalidCalendarNoticeError,
  InvalidDateError,
  InvalidInstantError,
  InvalidWorkingDaysError,
} from './calendar.errors.js';
export { weekdayOfDate } from './civil-date.js';
export { mergeCalendarOverrides, validateCalendarOverrides, type NoticeDay, type YearNotice } from './calendar-notice.js';
export { chineseDaysNotices, getDefaultCalendar, shippedCalendarOverrides } from './default-calendar.js';
export {
  endOfShanghaiDay,
  instantToEpochMs,
  shanghaiDateOf,
  toShanghaiTime,
  type Instant,
  type ShanghaiTime,
} from './shanghai-time.js';
export { buildWorkingCalendar, type DayKind, type DayKindInfo, type WorkingCalendar } from './working-calendar.js';
