/**
 * Messages shown at the top of an admin page after a redirect. The URL carries only a code from this
 * list (and, for Xero errors, Xero's short error code), never free text, so nothing can be injected.
 */
export type Notice = { tone: 'ok' | 'error' | 'warning'; text: string };

const NOTICES: Record<string, (p: { code?: string; organisation?: string }) => Notice> = {
  connected: (p) => ({
    tone: 'ok',
    text: `Connected to ${p.organisation ?? 'Xero'}. Choose below how your documents go into Xero, then save.`,
  }),
  saved: () => ({ tone: 'ok', text: 'Setup saved. It applies to everything synced from now on.' }),
  disconnected: () => ({ tone: 'ok', text: 'Disconnected from Xero. Nothing syncs until you connect again.' }),
  disconnected_locally: () => ({
    tone: 'warning',
    text: 'Disconnected here, but Xero could not be reached to withdraw access. To finish, remove this app under Settings › Connected apps in Xero.',
  }),
  denied: () => ({
    tone: 'error',
    text: "You chose not to allow access on Xero's page, so nothing was connected. Connect again whenever you are ready.",
  }),
  invalid_state: () => ({
    tone: 'error',
    text: 'This Xero sign-in could not be verified (it was altered, already used, started in another browser, or took too long), so nothing was connected. Please connect again.',
  }),
  xero_error: (p) => ({
    tone: 'error',
    text: `Xero reported a problem${p.code ? ` (${p.code})` : ''} and nothing was connected. Please try again.`,
  }),
  exchange_failed: () => ({
    tone: 'error',
    text: 'Xero could not be reached to finish connecting, so nothing was connected. Please try again in a moment.',
  }),
  no_organisation: () => ({
    tone: 'error',
    text: "No organisation was chosen on Xero's page, so nothing was connected. Connect again and tick an organisation.",
  }),
  choice_expired: () => ({
    tone: 'error',
    text: 'Choosing the organisation took too long, so nothing was connected. Please connect again.',
  }),
  not_connected: () => ({
    tone: 'warning',
    text: 'Connect to Xero first: the setup lists come from your Xero organisation.',
  }),
  retry_sent: () => ({
    tone: 'ok',
    text: 'Retry started. The failure leaves the list as soon as it goes through; if it comes back, its reason is shown again.',
  }),
  retry_all_sent: () => ({
    tone: 'ok',
    text: 'Retry started for every failure listed. Each leaves the list as soon as it goes through.',
  }),
  retry_nothing: () => ({ tone: 'ok', text: 'Nothing to retry: that failure is no longer open.' }),
  import_started: () => ({
    tone: 'ok',
    text: 'Import of your Xero contacts started. Its progress shows below; you can leave this page.',
  }),
  contact_sync_started: () => ({
    tone: 'ok',
    text: 'Contact sync started. The result shows below when it has finished (reload the page).',
  }),
  retry_ended: () => ({
    tone: 'warning',
    text: 'This sync has ended and cannot be retried here. Send the order again from your system.',
  }),
};

export function noticeFor(query: Record<string, unknown>, organisation?: string): Notice | undefined {
  const key = typeof query.notice === 'string' ? query.notice : undefined;
  const make = key && Object.hasOwn(NOTICES, key) ? NOTICES[key] : undefined;
  const code = typeof query.code === 'string' && /^[a-z_]{1,64}$/.test(query.code) ? query.code : undefined;
  return make?.({ code, organisation });
}
