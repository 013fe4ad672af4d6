/**
 * The contract between the connection/token lifecycle (which implements it) and everything that
 * calls Xero for an account (which uses it).
 */
export interface XeroAccess {
  connectionId: string;
  tenantId: string;
  accessToken: string;
}

export interface XeroAccessProvider {
  /** A valid access token for the account's connection, refreshed (serialized across processes) when near expiry. */
  accessFor(accountId: string): Promise<XeroAccess>;
  /** After a 401: force a refresh even if the stored expiry says the token is fine. */
  refreshAfterRejection(accountId: string, rejectedToken: string): Promise<XeroAccess>;
}

export type NotConnectedReason = 'not_connected' | 'needs_reconnect';

/** The account has no usable Xero connection: a business state, not a retryable error. */
export class NotConnectedError extends Error {
  constructor(
    readonly reason: NotConnectedReason,
    message?: string,
  ) {
    super(message ?? (reason === 'not_connected' ? 'not connected to Xero' : 'the Xero connection needs reconnecting'));
    this.name = 'NotConnectedError';
  }
}
