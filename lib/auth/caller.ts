import { DomainError } from '../../domain/errors.js';
import type { Region } from '../../domain/region.js';

export const ROLES = ['WINDOW_STAFF', 'JURISDICTION_STAFF', 'SUPERVISOR', 'OPS', 'PLATFORM'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the access token says: every authorisation decision starts here. */
export interface Caller {
  subject: string;
  role: Role;
  region: Region;
  /** The window a member of staff works at; null for roles not bound to one. */
  windowId: string | null;
}

export class UnauthenticatedError extends DomainError {
  constructor(message = '未登录或登录已失效', options?: { cause?: unknown }) {
    super('AUTH.UNAUTHENTICATED', message, options);
  }
}

/** Deliberately says nothing of what exists or why: a refusal must not leak data. */
export class ForbiddenError extends DomainError {
  constructor() {
    super('AUTH.FORBIDDEN', '无权执行该操作');
  }
}

export function requireRole(caller: Caller, ...roles: Role[]): void {
  if (!roles.includes(caller.role)) throw new ForbiddenError();
}
