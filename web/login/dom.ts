// The login page's form helpers; elements are built with the pages' shared builder (web/shared/dom.ts).
import { h, type Attributes } from '../shared/dom';

export { h };

/** A labelled input (WCAG 1.3.1, 3.3.2): the label names it, the hint and error are tied by aria-describedby. */
export function field(
  id: string,
  label: string,
  attributes: Attributes,
  hint?: string,
): { wrapper: HTMLDivElement; input: HTMLInputElement; error: HTMLParagraphElement } {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = h('input', {
    id,
    name: id,
    'aria-describedby': [hint ? hintId : '', errorId].join(' ').trim(),
    ...attributes,
  });
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrapper = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
    input,
    error,
  );
  return { wrapper, input, error };
}

export function showFieldError(input: HTMLInputElement, error: HTMLParagraphElement, message: string | null): void {
  if (message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
  }
}
