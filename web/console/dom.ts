// The console's DOM helpers; elements are built with the pages' shared builder (web/shared/dom.ts).
import { h, type Child } from '../shared/dom';

export { h };

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Replaces the main region's content and moves focus to its first heading (screen readers announce it). */
export function show(...children: Child[]): void {
  const main = byId('app');
  main.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)));
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}
