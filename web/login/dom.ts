// A tiny element builder: text only ever goes in as text nodes (no innerHTML), so nothing the service or the
// customer sends can become markup.
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

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
