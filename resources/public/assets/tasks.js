/*
 * A task's message preview follows the draft being edited. Without
 * JavaScript the preview shows the draft as it was; the approval sends
 * what the form holds either way.
 */
document.addEventListener('input', (event) => {
  const field = event.target
  if (!(field instanceof HTMLTextAreaElement)) return
  const match = /^values\[([A-Za-z0-9_]+)\]$/.exec(field.name)
  if (!match) return
  for (const bubble of document.querySelectorAll('[data-preview-of]')) {
    if (bubble.getAttribute('data-preview-of') === match[1]) bubble.textContent = field.value
  }
})
