/**
 * tongban's stack as a child process of bench/run.ts — platform sandboxes, the five
 * subgraphs and the workers of test/support/stack.ts over real Redis under a key
 * prefix of its own, removed on stop — seeded with one window's open cases.
 */
import type { TokenSettings } from '../../lib/auth/access-token.js';
import type { GatewayKey } from '../../lib/auth/gateway-signature.js';
import { loadConfig, SUBGRAPH_NAMES } from '../../lib/config.js';
import { staffAt, startTestStack } from '../../test/support/stack.js';
import { serveParent } from '../child.ipc.js';
import { DASHBOARD_NOW, seedDashboard } from './dashboard.data.js';
import type { DashboardCase } from './dashboard.query.js';

export interface StackSetup {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  auth: TokenSettings;
  signingKey: GatewayKey;
  redis: { url: string; prefix: string };
  /** What the window's staff must see, worked out from the seeds. */
  expected: DashboardCase[];
  /** One token per member of the window's staff, each a caller of its own. */
  tokens: string[];
  /** The 四川 platform's sandbox, whose faults (`/__faults`) the fault scenario sets. */
  sichuanSandboxUrl: string;
}

// The catalog's maximum age is the one setting a scenario changes (CATALOG_CACHE_MAX_AGE_MS in this process's environment).
const stack = await startTestStack({ now: () => DASHBOARD_NOW, env: { CATALOG_CACHE_MAX_AGE_MS: String(loadConfig().catalog.cacheMaxAgeMs) } });

serveParent(
  {
    seed: async ({ windowId, cases, callers }: { windowId: string; cases: number; callers: number }): Promise<StackSetup> => {
      const expected = await seedDashboard(stack, windowId, cases);
      const tokens = await Promise.all(
        Array.from({ length: callers }, (_, i) => stack.token({ ...staffAt(windowId), subject: `dashboard-staff-${i + 1}` })),
      );
      return {
        supergraphSdl: stack.gatewayOptions.supergraphSdl,
        subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${stack.subgraphs[name].url}/graphql`])),
        auth: stack.config.auth,
        signingKey: stack.gatewayOptions.signingKey,
        redis: { url: stack.redisUrl, prefix: stack.prefix },
        expected,
        tokens,
        sichuanSandboxUrl: stack.sichuan.url,
      };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  () => stack.close(),
);
