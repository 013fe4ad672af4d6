import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import { ADMIN_SESSION_TTL_MS, findAdminSession, type AdminSession } from '../../src/access/admin-sessions';

/**
 * The admin session cookie. HttpOnly (no script reads it), Secure on https, and SameSite=Lax rather
 * than Strict: Xero's redirect back to /connect/callback is a cross-site navigation, and the callback
 * must see the session its `state` was issued to. Lax still withholds the cookie from cross-site
 * POSTs; forms carry CSRF tokens as well.
 */

declare module 'express-serve-static-core' {
  interface Request {
    adminSession?: AdminSession;
  }
}

export function sessionCookie(publicUrl: string): { name: string; options: CookieOptions } {
  const secure = publicUrl.startsWith('https:');
  return {
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
    name: secure ? '__Host-xero-sync-admin' : 'xero-sync-admin',
    options: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: ADMIN_SESSION_TTL_MS },
  };
}

/** Reads the session (if any) into `req.adminSession`; never refuses by itself. */
export function readAdminSession(db: Parameters<typeof findAdminSession>[0], publicUrl: string): RequestHandler {
  const { name } = sessionCookie(publicUrl);
  return async (req, _res, next) => {
    const token = (req.cookies as Record<string, string> | undefined)?.[name];
    if (token) req.adminSession = await findAdminSession(db, token);
    next();
  };
}

export function setSessionCookie(res: Response, publicUrl: string, token: string): void {
  const { name, options } = sessionCookie(publicUrl);
  res.cookie(name, token, options);
}

export function clearSessionCookie(res: Response, publicUrl: string): void {
  const { name, options } = sessionCookie(publicUrl);
  res.clearCookie(name, { ...options, maxAge: undefined });
}

export const sessionOf = (req: Request): AdminSession | undefined => req.adminSession;
