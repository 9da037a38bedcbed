/**
 * Personal data is shown masked unless a caller has a reason to see it (seed 002
 * 第九条): enough stays visible for staff to match a document in hand.
 */
export function maskIdNumber(value: string): string {
  if (value.length <= 8) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}${'*'.repeat(value.length - 8)}${value.slice(-4)}`;
}

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return '*'.repeat(value.length);
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}
