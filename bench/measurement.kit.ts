import type { ChildHandle } from './child.ipc.js';

/** What the scenarios that load a process in front of others share: CPU accounting, quiet waits and fair order. */

export function cpuMs(after: NodeJS.CpuUsage, before: NodeJS.CpuUsage): number {
  return (after.user - before.user + after.system - before.system) / 1000;
}

/**
 * Waits (at most 20 s) until a child has finished what the last load left in
 * flight: autocannon drops those requests when its time is up, but the child is
 * still answering them, and would do so on the next measured window's time.
 */
export async function idle(child: ChildHandle): Promise<void> {
  const POLL_MS = 250;
  let last = await child.request<NodeJS.CpuUsage>('cpuUsage');
  for (let waited = 0; waited < 20_000; waited += POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const now = await child.request<NodeJS.CpuUsage>('cpuUsage');
    if (cpuMs(now, last) < POLL_MS * 0.05) return;
    last = now;
  }
}

/** The targets in the order of a round: each round starts one further on, so none is always measured first. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
