// The page's two live regions: a polite status line for what succeeded, an alert for what failed.
import { ApiFailure } from './agent-api';
import { byId } from './dom';
import { t } from './messages';

export function announce(message: string): void {
  byId('alert').hidden = true;
  byId('status').textContent = message;
}

export function alertError(message: string): void {
  byId('status').textContent = '';
  const alert = byId('alert');
  alert.textContent = message;
  alert.hidden = false;
}

export function clearNotices(): void {
  byId('status').textContent = '';
  byId('alert').hidden = true;
}

export function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure) {
    return error.status === 0 ? t('error.network') : t('error.generic', { status: error.status, detail: error.detail });
  }
  return String(error);
}
