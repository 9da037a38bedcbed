export { InvalidHoursError } from './hours.errors.js';
export {
  hoursOn,
  isOpen,
  validateOfficeHours,
  type OfficeHours,
  type TimeRange,
  type Weekday,
} from './office-hours.js';
