/*
 * Client-only behaviour, registered for Alpine's CSP build (no inline
 * expressions are evaluated; components are named here). Everything works
 * without this file; it only makes things smoother.
 */
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
