/** Number formats shared by the job scenarios' tables. */

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
