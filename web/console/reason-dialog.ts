// Every support action states its reason: a modal dialog (native <dialog>: focus moves into it, Escape
// cancels, focus returns to the button that opened it) that will not confirm without 5 to 500 characters.
import { byId } from './dom';
import { t } from './messages';

export interface ReasonRequest {
  title: string;
  description: string;
  confirm: string;
}

/** The reason the agent typed, or null when cancelled. */
export function askReason(request: ReasonRequest): Promise<string | null> {
  const dialog = byId<HTMLDialogElement>('reason-dialog');
  const form = byId<HTMLFormElement>('reason-form');
  const input = byId<HTMLTextAreaElement>('reason-input');
  const error = byId('reason-error');
  const cancel = byId<HTMLButtonElement>('reason-cancel');
  const opener = document.activeElement as HTMLElement | null;
  byId('reason-title').textContent = request.title;
  byId('reason-description').textContent = request.description;
  byId('reason-label').textContent = t('reason.label');
  byId('reason-hint').textContent = t('reason.hint');
  byId('reason-confirm').textContent = request.confirm;
  cancel.textContent = t('reason.cancel');
  input.value = '';
  input.removeAttribute('aria-invalid');
  error.hidden = true;

  return new Promise((resolve) => {
    const finish = (reason: string | null) => {
      form.removeEventListener('submit', onSubmit);
      input.removeEventListener('input', onInput);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      opener?.focus();
      resolve(reason);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      const reason = input.value.trim();
      if (reason.length < 5 || reason.length > 500) {
        error.textContent = t('reason.invalid');
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      finish(reason);
    };
    const onCancel = (event: Event) => {
      event.preventDefault();
      finish(null);
    };
    const onInput = () => {
      error.hidden = true;
      input.removeAttribute('aria-invalid');
    };
    form.addEventListener('submit', onSubmit);
    input.addEventListener('input', onInput);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    input.focus();
  });
}
