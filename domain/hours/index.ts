export { InvalidHoursError } from './hours.errors.js';
export {
  closureAt,
  describeClosure,
  hoursOn,
  isOpen,
  validateOfficeHours,
  type ClosedReason,
  type Closure,
  type OfficeHours,
  type TimeRange,
  type Weekday,
} from './office-hours.js';
