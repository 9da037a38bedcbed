import { startChild, type ChildHandle } from '../child.ipc.js';
import type { LoadResult, LoadSpec } from './load.types.js';

/** Autocannon in its own process; each run is bounded by its duration, and the process by a deadline past it. */
export class AutocannonRunner {
  private constructor(private readonly child: ChildHandle) {}

  static async start(): Promise<AutocannonRunner> {
    return new AutocannonRunner(await startChild(new URL('./autocannon.process.ts', import.meta.url)));
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    return this.child.request<LoadResult>('run', spec, (spec.durationSec + 60) * 1000);
  }

  cpuUsage(): Promise<NodeJS.CpuUsage> {
    return this.child.request<NodeJS.CpuUsage>('cpuUsage');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
