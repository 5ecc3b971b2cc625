import { createRequire } from 'node:module'

/*
| The slice of the DOM the HTML converter uses, typed here because the app
| compiles without the browser's DOM library, and @mixmark-io/domino ships a
| declaration file that declares a module named 'domino' rather than itself.
| domino is the same DOM turndown uses under Node, so nodes pass straight to it.
*/

export interface DomNode {
  nodeType: number
  textContent: string | null
  parentNode: DomNode | null
  childNodes: ArrayLike<DomNode>
}

export interface DomElement extends DomNode {
  tagName: string
  innerHTML: string
  parentElement: DomElement | null
  children: ArrayLike<DomElement>
  getAttribute(name: string): string | null
  setAttribute(name: string, value: string): void
  querySelector(selector: string): DomElement | null
  querySelectorAll(selector: string): ArrayLike<DomElement>
  closest(selector: string): DomElement | null
  remove(): void
  replaceWith(...nodes: DomNode[]): void
}

export interface DomDocument {
  body: DomElement | null
  documentElement: DomElement
  querySelector(selector: string): DomElement | null
  querySelectorAll(selector: string): ArrayLike<DomElement>
}

const domino = createRequire(import.meta.url)('@mixmark-io/domino') as {
  createDocument(html: string, force?: boolean): DomDocument
}

/** Parses a whole HTML document (even a fragment gets <html><body>). */
export function parseHtml(html: string): DomDocument {
  return domino.createDocument(html, true)
}
