import { CourierClient } from '../adapters/courier/courier.client.js';
import { createKeepAliveFetch } from './keep-alive.fetch.js';
import { NotifyClient } from '../adapters/notify/notify.client.js';
import type { PlatformPort } from '../adapters/platform.port.js';
import { SichuanClient } from '../adapters/sichuan/sichuan.client.js';
import { YukuaibanClient } from '../adapters/yukuaiban/yukuaiban.client.js';
import type { Region } from '../domain/region.js';
import type { Config } from './config.js';

/** Base URLs default to the local sandboxes, which `npm start` runs on the configured ports. */
export function platformBaseUrls(config: Config): Record<Region, string> {
  const local = (port: number) => `http://${config.host}:${port}`;
  return {
    CHONGQING: config.platforms.yukuaiban.baseUrl ?? local(config.platforms.yukuaiban.sandboxPort),
    SICHUAN: config.platforms.sichuan.baseUrl ?? local(config.platforms.sichuan.sandboxPort),
  };
}

/** Each client keeps its connections open between calls (lib/keep-alive.fetch.ts): a worker calls the platforms once or more per job. */
export function createPlatformClients(config: Config, urls = platformBaseUrls(config)): Record<Region, PlatformPort> {
  const { yukuaiban, sichuan, timeoutMs } = config.platforms;
  return {
    CHONGQING: new YukuaibanClient({ baseUrl: urls.CHONGQING, appKey: yukuaiban.appKey, appSecret: yukuaiban.appSecret, timeoutMs, fetch: createKeepAliveFetch() }),
    SICHUAN: new SichuanClient({ baseUrl: urls.SICHUAN, appId: sichuan.appId, appSecret: sichuan.appSecret, timeoutMs, fetch: createKeepAliveFetch() }),
  };
}

export function createNotifyClient(config: Config, baseUrl = config.platforms.notify.baseUrl ?? `http://${config.host}:${config.platforms.notify.sandboxPort}`) {
  const { appId, secret } = config.platforms.notify;
  return new NotifyClient({ baseUrl, appId, secret, timeoutMs: config.platforms.timeoutMs, fetch: createKeepAliveFetch() });
}

export function createCourierClient(config: Config, baseUrl = config.platforms.courier.baseUrl ?? `http://${config.host}:${config.platforms.courier.sandboxPort}`) {
  const { partnerId, secret } = config.platforms.courier;
  return new CourierClient({ baseUrl, partnerId, secret, timeoutMs: config.platforms.timeoutMs, fetch: createKeepAliveFetch() });
}
