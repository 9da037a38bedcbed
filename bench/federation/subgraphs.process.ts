/** The four benchmark subgraphs as a child process of bench/run.ts. */
import { serveParent } from '../child.ipc.js';
import { startSubgraphs } from './subgraphs.server.js';

const subgraphs = await startSubgraphs('127.0.0.1');
serveParent(
  {
    urls: () => subgraphs.urls,
    cpuUsage: () => process.cpuUsage(),
  },
  () => subgraphs.close(),
);
