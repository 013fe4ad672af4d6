import { Router } from 'express';

/**
 * Bills and deal invoices whose host gave no link carry `PUBLIC_URL/documents/{marker}` as their
 * Xero `Url` (src/documents/marker.ts): someone following it from Xero lands on a short
 * explanation, not an error. It reveals nothing (the marker is a one-way hash) and needs no login.
 */
export function documentLinksRouter(): Router {
  const router = Router();
  router.get('/documents/:marker', (req, res) => {
    if (!/^xero-sync-[0-9a-f]{20}$/.test(req.params.marker)) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res
      .type('text/plain')
      .send(
        'This Xero document was written by xero-sync for a business app. Open the document in that app to see its source.\n',
      );
  });
  return router;
}
