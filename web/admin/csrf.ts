import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';

/**
 * CSRF protection for the admin forms (csrf-csrf's signed double-submit cookie, tied to the admin
 * session): every form carries `_csrf`, and a POST without the matching token is refused.
 */
export interface AdminCsrf {
  token(req: Request, res: Response): string;
  protect: RequestHandler;
  isCsrfError(err: unknown): boolean;
}

export function adminCsrf(secret: string, publicUrl: string): AdminCsrf {
  const secure = publicUrl.startsWith('https:');
  const { generateCsrfToken, doubleCsrfProtection, invalidCsrfTokenError } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => req.adminSession?.id ?? '',
    cookieName: secure ? '__Host-xero-sync-csrf' : 'xero-sync-csrf',
    cookieOptions: { sameSite: 'lax', secure, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined),
  });
  return {
    token: (req, res) => generateCsrfToken(req, res),
    protect: doubleCsrfProtection,
    isCsrfError: (err) => err === invalidCsrfTokenError || (err as { code?: string })?.code === 'EBADCSRFTOKEN',
  };
}

export type CsrfErrorHandler = ErrorRequestHandler;
