/*
| Markdown for task descriptions and `text` components, rendered safely: the
| source is HTML-escaped first, then a small subset becomes markup
| (headings, paragraphs, lists, bold, italic, inline code, http(s) links).
| Nothing a workflow sends can add a tag or an attribute of its own.
*/

function escapeHtml(text: string) {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

function inline(text: string) {
  let html = escapeHtml(text)
  const codes: string[] = []
  html = html.replace(/`([^`]+)`/g, (_, code) => {
    codes.push(`<code>${code}</code>`)
    return `\uE000${codes.length - 1}\uE001`
  })
  html = html.replace(
    /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
    (_, label, url) =>
      `<a href="${url}" rel="noopener noreferrer nofollow" target="_blank">${label}</a>`
  )
  html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
  html = html.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
  html = html.replace(/\uE000(\d+)\uE001/g, (_, i) => codes[Number(i)])
  return html
}

export function renderMarkdown(source: string | null | undefined): string {
  if (!source) return ''
  const lines = source.replaceAll('\r\n', '\n').split('\n')
  const out: string[] = []
  let paragraph: string[] = []
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null
  const flush = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join('<br>')}</p>`)
    paragraph = []
    if (list)
      out.push(
        `<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`
      )
    list = null
  }
  for (const line of lines) {
    const heading = line.match(/^(#{1,4})\s+(.*)$/)
    const bullet = line.match(/^\s*[-*]\s+(.*)$/)
    const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/)
    if (!line.trim()) {
      flush()
    } else if (heading) {
      flush()
      // Task pages have their own h1/h2: content headings start at h3.
      const level = Math.min(heading[1].length + 2, 6)
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`)
    } else if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol'
      if (paragraph.length || (list && list.tag !== tag)) flush()
      list ??= { tag, items: [] }
      list.items.push((bullet ?? numbered)![1])
    } else {
      if (list) flush()
      paragraph.push(line)
    }
  }
  flush()
  return out.join('\n')
}
