/**
 * 业务编号: "TB" + application date (yyyyMMdd, Asia/Shanghai) + the receiving
 * window's division code + a 5-digit daily sequence of that division, e.g.
 * TB2025112450010100001. Numbers of one day and division sort in order of
 * receipt, and the receiving division is readable on any printed notice.
 */
const BUSINESS_NO = /^TB(\d{8})(\d{6})(\d{5})$/;

export function formatBusinessNo(date: string, divisionCode: string, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 99_999) {
    throw new RangeError(`daily sequence out of range: ${sequence}`);
  }
  return `TB${date.replaceAll('-', '')}${divisionCode}${String(sequence).padStart(5, '0')}`;
}

export function parseBusinessNo(value: string): { date: string; divisionCode: string; sequence: number } | null {
  const match = BUSINESS_NO.exec(value);
  if (!match) return null;
  const [, ymd, divisionCode, sequence] = match;
  return { date: `${ymd!.slice(0, 4)}-${ymd!.slice(4, 6)}-${ymd!.slice(6, 8)}`, divisionCode: divisionCode!, sequence: Number(sequence) };
}
