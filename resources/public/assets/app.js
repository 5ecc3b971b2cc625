/*
 * Client-only behaviour, registered for Alpine's CSP build (no inline
 * expressions are evaluated; components are named here). Everything works
 * without this file; it only makes things smoother.
 */
// A boosted navigation swaps the body only; carry the new page's language
// and direction over, or an Arabic page would keep English's ltr (and back).
document.addEventListener('htmx:beforeSwap', (event) => {
  const html = event.detail.xhr?.responseText?.match(/<html\b[^>]*>/i)?.[0]
  if (!html) return
  const lang = html.match(/\blang="([^"]*)"/)?.[1]
  const dir = html.match(/\bdir="([^"]*)"/)?.[1]
  if (lang) document.documentElement.lang = lang
  if (dir) document.documentElement.dir = dir
})

document.addEventListener('alpine:init', () => {
  const Alpine = window.Alpine

  // Submits the surrounding form when a select changes (workspace switcher, filters).
  Alpine.data('autoSubmit', () => ({
    submit() {
      this.$el.form.requestSubmit()
    },
  }))

  // Copies the text of the element named by data-copy-target.
  Alpine.data('copyButton', () => ({
    copied: false,
    copy() {
      const target = document.getElementById(this.$el.dataset.copyTarget)
      if (!target) return
      navigator.clipboard.writeText(target.value ?? target.textContent).then(() => {
        this.copied = true
        setTimeout(() => (this.copied = false), 2000)
      })
    },
  }))
})
