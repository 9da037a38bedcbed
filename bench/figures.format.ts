/** Number and text formats shared by the scenarios' tables. */

export const whole = (value: number) => Math.round(value).toLocaleString('en-US');

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export const perJob = (cpuSeconds: number, jobs: number) => `${whole((cpuSeconds * 1e6) / jobs)} µs`;

export const bytes = (value: number) => `${whole(value)} B`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

export const percent = (value: number) => `${(value * 100).toFixed(0)} %`;

/** A message fit for one table cell. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 600);
}
