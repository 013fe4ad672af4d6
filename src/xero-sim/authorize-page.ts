import type { OrgRec } from './store';

/** The consent page: plain HTML, the user's organisations to connect, Allow and Deny. */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (OpenID)',
  profile: 'See your name',
  email: 'See your e-mail address',
  offline_access: 'Keep access when you are not using the app',
  'accounting.transactions': 'View and manage your business transactions',
  'accounting.transactions.read': 'View your business transactions',
  'accounting.invoices': 'View and manage your invoices, credit notes, items and quotes',
  'accounting.invoices.read': 'View your invoices, credit notes, items and quotes',
  'accounting.payments': 'View and manage your payments',
  'accounting.payments.read': 'View your payments',
  'accounting.contacts': 'View and manage your contacts',
  'accounting.contacts.read': 'View your contacts',
  'accounting.settings': 'View and manage your organisation settings',
  'accounting.settings.read': 'View your organisation settings',
  'accounting.attachments': 'View and manage your attachments',
  'accounting.attachments.read': 'View your attachments',
};

export function authorizePage(args: {
  appName: string;
  userName: string;
  userEmail: string;
  orgs: OrgRec[];
  scope: string[];
  hidden: Record<string, string>;
  error?: string;
}): string {
  const hidden = Object.entries(args.hidden)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n      ');
  const orgs = args.orgs
    .map(
      (o, i) =>
        `<label class="org"><input type="checkbox" name="tenant" value="${esc(o.OrganisationID)}"${i === 0 ? ' checked' : ''}> <span>${esc(o.Name)}</span></label>`,
    )
    .join('\n        ');
  const scopes = args.scope.map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Xero (simulated) | Authorise ${esc(args.appName)}</title>
  <style>
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f2f5f8; color: #1e3145; margin: 0; }
    header { background: #13b5ea; color: #fff; padding: 14px 24px; font-weight: 600; letter-spacing: .02em; }
    main { max-width: 520px; margin: 40px auto; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); padding: 28px 32px; }
    h1 { font-size: 1.3rem; margin: 0 0 6px; }
    .who { color: #5b6b7b; font-size: .9rem; margin-bottom: 20px; }
    fieldset { border: 1px solid #d6dde4; border-radius: 6px; padding: 12px 16px; margin: 0 0 18px; }
    legend { font-weight: 600; padding: 0 6px; }
    .org { display: block; padding: 6px 0; cursor: pointer; }
    ul { margin: 6px 0 20px; padding-left: 20px; color: #3d4f61; }
    .buttons { display: flex; gap: 12px; justify-content: flex-end; }
    button { font-size: 1rem; padding: 9px 22px; border-radius: 4px; border: 1px solid #13b5ea; cursor: pointer; }
    button[value=allow] { background: #13b5ea; color: #fff; }
    button[value=deny] { background: #fff; color: #13b5ea; }
    .error { background: #fdecea; color: #9b1c1c; padding: 8px 12px; border-radius: 4px; margin-bottom: 14px; }
    .note { font-size: .8rem; color: #7a8a99; margin-top: 22px; }
  </style>
</head>
<body>
  <header>xero <small>(simulator)</small></header>
  <main>
    <h1>${esc(args.appName)} wants to access your Xero data</h1>
    <div class="who">Signed in as ${esc(args.userName)} (${esc(args.userEmail)})</div>
    ${args.error ? `<div class="error">${esc(args.error)}</div>` : ''}
    <form method="post" action="/identity/connect/authorize">
      ${hidden}
      <fieldset>
        <legend>Organisations to connect</legend>
        ${orgs}
      </fieldset>
      <div>This app will be able to:</div>
      <ul>${scopes}</ul>
      <div class="buttons">
        <button type="submit" name="decision" value="deny">Cancel</button>
        <button type="submit" name="decision" value="allow">Allow access</button>
      </div>
    </form>
    <div class="note">This is the Xero simulator, not Xero. Nothing here touches a real organisation.</div>
  </main>
</body>
</html>`;
}

export function errorPage(title: string, detail: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Xero (simulated) | Error</title>
<style>body{font-family:system-ui,sans-serif;background:#f2f5f8;color:#1e3145}main{max-width:520px;margin:60px auto;background:#fff;padding:28px 32px;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:1.2rem;color:#9b1c1c}</style>
</head><body><main><h1>${esc(title)}</h1><p>${esc(detail)}</p></main></body></html>`;
}
