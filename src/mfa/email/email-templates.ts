import type { CustomerNotice } from '../../common/customer-notifier';
import { EN } from './templates/en';

/** The emails this service sends: a code (verification, sign-in) or a notice about the account. */
export type EmailTemplateName = 'verify_code' | 'login_code' | CustomerNotice;

export type EmailTemplates = Record<EmailTemplateName, { subject: string; text: string }>;

/** Languages with a template file in ./templates (EMAIL_LANGUAGE picks one; unknown ones fall back to English). */
const LANGUAGES: Record<string, EmailTemplates> = { en: EN };

export function hasLanguage(language: string): boolean {
  return language in LANGUAGES;
}

/**
 * Fills a template. A placeholder with no value is left out rather than shown as `{name}`; values are
 * single-line (a value with a line break could forge text in the message, so it is flattened).
 */
export function renderEmail(
  language: string,
  name: EmailTemplateName,
  values: Record<string, string>,
): { subject: string; text: string } {
  const template = (LANGUAGES[language] ?? EN)[name];
  const fill = (text: string) =>
    text.replace(/\{([a-zA-Z]+)\}/g, (_, key: string) => (values[key] ?? '').replace(/[\r\n]+/g, ' '));
  return { subject: fill(template.subject), text: fill(template.text) };
}
