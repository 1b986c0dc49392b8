import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { postForm, SPA } from '../support/oauth';

/** A customer's live session, through the REST API as a frontend drives it: a journey, then the code redeemed. */
export async function customerSignsIn(
  t: TestApp,
  username: string,
  password: string,
  userAgent: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const journey = await startJourney(t, {}, { 'user-agent': userAgent });
  const response = await submitPassword(t, journey.journeyId, journey.transactionToken, username, password, {
    'user-agent': userAgent,
  });
  const done = (await response.json()) as { authorizationCode?: string };
  if (!done.authorizationCode) throw new Error(`the password step answered ${response.status}`);
  const tokens = await postForm(t, '/oauth2/token', {
    grant_type: 'authorization_code',
    code: done.authorizationCode,
    redirect_uri: SPA.redirectUri,
    code_verifier: journey.verifier,
    client_id: SPA.clientId,
  });
  if (tokens.status !== 200) throw new Error(`the token endpoint answered ${tokens.status}`);
  return (await tokens.json()) as { access_token: string; refresh_token: string };
}

/** The browser's console errors (a CSP violation is one): a page that breaks its policy fails the spec. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** The agent opens a customer by CUPID, stating why. */
export async function openCustomer(page: Page, cupid: string, reason: string): Promise<void> {
  await page.getByLabel('Customer id (CUPID)').fill(cupid);
  await page.getByLabel('Reason for access').fill(reason);
  await page.getByRole('button', { name: 'Open customer' }).click();
  await page.getByRole('heading', { name: `Customer ${cupid}` }).waitFor();
}

/** Fills the reason dialog and confirms. */
export async function confirmWithReason(page: Page, reason: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason').fill(reason);
  await dialog.locator('#reason-confirm').click();
  await dialog.waitFor({ state: 'hidden' });
}

/** A fresh context (own storage) whose waits fail well within the spec's timeout, naming what never appeared. */
export async function consoleContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  return context;
}

/**
 * The visible form controls and buttons with no accessible name (no <label>, aria-label or
 * aria-labelledby, no text): each one is a control a screen-reader user cannot identify.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('input, textarea, select, button')]
      .filter((element) => element.getClientRects().length > 0 && element.getAttribute('type') !== 'hidden')
      .filter((element) => {
        const labelled = (element as HTMLInputElement).labels?.length;
        const aria = element.getAttribute('aria-label') || element.getAttribute('aria-labelledby');
        const text = element.tagName === 'BUTTON' && element.textContent?.trim();
        return !labelled && !aria && !text;
      })
      .map((element) => element.outerHTML),
  );
}
