import TurndownService from 'turndown'
import { parseHtml, type DomDocument, type DomElement } from './dom.js'

/*
| HTML → Markdown. A web page is mostly not its content: navigation, cookie
| banners, sidebars, newsletter forms and footers would each end up in the
| knowledge and be quoted back to customers. So the page is narrowed to its
| main content first (<main>, role=main, a lone <article>, else the block
| holding the most prose), then turned into Markdown with turndown, keeping
| headings, lists and tables (turndown has no table rule; ours writes GFM).
*/

/** Elements that never hold content worth learning. */
const ALWAYS_DROP =
  'script, style, noscript, template, svg, canvas, iframe, object, embed, link, meta, img, picture, video, audio, map, dialog, [hidden], [aria-hidden="true"]'

/** Page furniture: dropped inside the main content too. */
const FURNITURE =
  'nav, aside, form, button, input, select, textarea, label, [role="navigation"], [role="complementary"], [role="search"], [role="contentinfo"], [role="banner"], [role="dialog"], [role="alertdialog"]'

/** Class or id words that mark banners, pop-ups and share bars. */
const FURNITURE_NAMES =
  /(^|[\s_-])(cookie|cookies|consent|gdpr|popup|modal|newsletter|subscribe|social|share|sharing|breadcrumbs?|skip-link|advert|ads|sidebar|related|comments?|navbar|toolbar)($|[\s_-])/i

export interface HtmlConversion {
  title: string | null
  markdown: string
}

export function htmlToMarkdown(
  html: string,
  options: { baseUrl?: string; wholeBody?: boolean } = {}
): HtmlConversion {
  const document = parseHtml(html)
  const title = pageTitle(document)

  for (const element of Array.from(document.querySelectorAll(ALWAYS_DROP))) element.remove()
  for (const element of Array.from(document.querySelectorAll('[style]'))) {
    if (/display\s*:\s*none|visibility\s*:\s*hidden/i.test(element.getAttribute('style') ?? ''))
      element.remove()
  }
  const body = document.body ?? document.documentElement
  const root = options.wholeBody ? body : mainContent(document, body)
  dropFurniture(root, !options.wholeBody)
  resolveLinks(root, options.baseUrl)

  const markdown = turndown()
    .turndown(root as unknown as TurndownService.Node)
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  return { title, markdown }
}

/** <title> without the site name a CMS appends ("Opening Hours | Riverside Clinic"). */
function pageTitle(document: DomDocument): string | null {
  const og = document.querySelector('meta[property="og:title"]')?.getAttribute('content')?.trim()
  const raw = og || document.querySelector('title')?.textContent?.replace(/\s+/g, ' ').trim() || ''
  if (!raw) {
    const h1 = document.querySelector('h1')?.textContent?.replace(/\s+/g, ' ').trim()
    return h1 || null
  }
  const parts = raw.split(/\s+[|–—·»:-]\s+/)
  return parts.length > 1 && parts[0].length >= 3 ? parts[0] : raw
}

function mainContent(document: DomDocument, body: DomElement): DomElement {
  // Header and footer are site furniture outside the chosen content; inside
  // an article a <header> usually holds its title, so it is kept there.
  const explicit =
    document.querySelector('main') ??
    document.querySelector('[role="main"]') ??
    (document.querySelectorAll('article').length === 1 ? document.querySelector('article') : null)
  if (explicit && textLength(explicit) >= 50) return explicit

  for (const element of Array.from(
    body.querySelectorAll('header, footer, [role="banner"], [role="contentinfo"]')
  )) {
    element.remove()
  }
  dropFurniture(body, true)
  return densestBlock(body)
}

function dropFurniture(root: DomElement, byName: boolean) {
  for (const element of Array.from(root.querySelectorAll(FURNITURE))) element.remove()
  for (const element of Array.from(root.querySelectorAll('footer'))) element.remove()
  if (!byName) return
  for (const element of Array.from(root.querySelectorAll('[class], [id]'))) {
    const names = `${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`
    // Never drop a big block, or one holding the page's title, by its name:
    // "content-with-sidebar" is content.
    if (
      FURNITURE_NAMES.test(names) &&
      textLength(element) < 600 &&
      !element.querySelector('h1') &&
      element.parentNode
    ) {
      element.remove()
    }
  }
}

/**
 * The element holding the most prose, scored the way readability tools do:
 * each paragraph-like element gives its text length (less its link text) to
 * its parent and half to its grandparent. The winner then grows to take in
 * its parent while that adds little (a title or an intro beside the text),
 * and stops before it would swallow much more.
 */
function densestBlock(body: DomElement): DomElement {
  const scores = new Map<DomElement, number>()
  for (const element of Array.from(
    body.querySelectorAll('p, pre, li, td, blockquote, h1, h2, h3, h4, dd')
  )) {
    const score = Math.max(0, textLength(element) - linkTextLength(element))
    if (score < 25) continue
    const parent = element.parentElement
    if (parent) scores.set(parent, (scores.get(parent) ?? 0) + score)
    const grandparent = parent?.parentElement
    if (grandparent) scores.set(grandparent, (scores.get(grandparent) ?? 0) + score / 2)
  }
  let best: DomElement = body
  let bestScore = 0
  for (const [element, score] of scores) {
    if (score > bestScore) {
      best = element
      bestScore = score
    }
  }
  // Lists and tables score their container; take the block around them.
  while (
    ['UL', 'OL', 'TBODY', 'THEAD', 'TR', 'TABLE'].includes(best.tagName) &&
    best.parentElement
  ) {
    best = best.parentElement
  }
  while (best !== body && best.parentElement) {
    const parent = best.parentElement
    if (textLength(parent) > textLength(best) * 1.3 + 100) break
    best = parent
  }
  return best
}

function textLength(element: DomElement) {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim().length
}

function linkTextLength(element: DomElement) {
  let total = 0
  for (const link of Array.from(element.querySelectorAll('a'))) total += textLength(link)
  return total
}

/**
 * Relative links made absolute against the page's final address, so a cited
 * link works outside the page; links that go nowhere keep only their text.
 */
function resolveLinks(root: DomElement, baseUrl?: string) {
  for (const link of Array.from(root.querySelectorAll('a'))) {
    const href = link.getAttribute('href')?.trim() ?? ''
    let absolute: string | null = null
    try {
      const url = baseUrl ? new URL(href, baseUrl) : new URL(href)
      if (['http:', 'https:', 'mailto:', 'tel:'].includes(url.protocol)) absolute = url.toString()
    } catch {
      absolute = null
    }
    if (!href || href.startsWith('#') || !absolute) {
      link.replaceWith(...Array.from(link.childNodes))
    } else {
      link.setAttribute('href', absolute)
    }
  }
}

function turndown() {
  const service = new TurndownService({
    headingStyle: 'atx',
    hr: '---',
    bulletListMarker: '-',
    codeBlockStyle: 'fenced',
    emDelimiter: '*',
  })
  service.addRule('table', {
    filter: 'table',
    replacement: (_content, node) =>
      `\n\n${tableToMarkdown(node as unknown as DomElement, service)}\n\n`,
  })
  return service
}

/** A cell's text on one line, with pipes escaped so they cannot end the cell. */
function cellText(cell: DomElement, service: TurndownService) {
  const markdown = service.turndown(cell.innerHTML || '')
  return markdown.replace(/\n+/g, ' ').replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim()
}

/**
 * A GFM table. The first row is the header (as spreadsheets and most HTML
 * tables have it); colspans are filled so every row has the header's width.
 * A one-column or one-row table is layout, not data: its cells become lines.
 */
function tableToMarkdown(table: DomElement, service: TurndownService): string {
  const rows = Array.from(table.querySelectorAll('tr')).filter(
    (row) => row.closest('table') === table
  )
  const grid = rows
    .map((row) =>
      Array.from(row.children)
        .filter((cell) => cell.tagName === 'TD' || cell.tagName === 'TH')
        .flatMap((cell) => {
          const span = Math.min(Number.parseInt(cell.getAttribute('colspan') ?? '1', 10) || 1, 20)
          return [cellText(cell, service), ...Array.from({ length: span - 1 }, () => '')]
        })
    )
    .filter((cells) => cells.some((cell) => cell !== ''))
  if (grid.length === 0) return ''
  const width = Math.max(...grid.map((cells) => cells.length))
  if (width < 2 || grid.length < 2) {
    return grid.map((cells) => cells.filter(Boolean).join(' ')).join('\n\n')
  }
  const line = (cells: string[]) =>
    `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`
  return [
    line(grid[0]),
    line(grid[0].map(() => '---').concat(Array(width - grid[0].length).fill('---'))),
    ...grid.slice(1).map(line),
  ].join('\n')
}
