/*
 * The new-template page: a live preview of the message as the customer will
 * see it, updated as the member types. The server renders the same preview
 * (also after a refused submit), so the page is whole without this file.
 * Registered for Alpine's CSP build: the template names `templateEditor`
 * and its `update` method only.
 */
;(function () {
  // A refused submit answers 422 with the form and its messages: show it.
  document.addEventListener('htmx:beforeSwap', function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt
    if (
      event.detail.xhr.status === 422 &&
      form &&
      form.closest &&
      form.closest('[data-template-form]')
    ) {
      event.detail.shouldSwap = true
      event.detail.isError = false
    }
  })

  function fill(text, values) {
    return text.replace(/\{\{\s*(\d+)\s*\}\}/g, function (whole, n) {
      return values[Number(n) - 1] || whole
    })
  }

  function field(form, name) {
    var element = form.elements.namedItem(name)
    return element && 'value' in element ? element.value : ''
  }

  function showField(form, name, shown) {
    var element = form.elements.namedItem(name)
    var wrapper = element && element.closest && element.closest('.field')
    if (wrapper) wrapper.hidden = !shown
  }

  document.addEventListener('alpine:init', function () {
    window.Alpine.data('templateEditor', function () {
      return {
        init: function () {
          this.update()
        },
        update: function () {
          var root = this.$root
          var form = root.querySelector('[data-template-form]')
          var pane = root.querySelector('[data-preview]')
          if (!form || !pane) return
          var labels = root.querySelector('[data-labels]')
          var format = field(form, 'header_format') || 'NONE'
          var examples = field(form, 'body_examples')
            .split('\n')
            .map(function (line) {
              return line.trim()
            })
          var header =
            format === 'TEXT'
              ? fill(field(form, 'header_text'), [field(form, 'header_example').trim()])
              : ''
          var body = field(form, 'body')
          var footer = field(form, 'footer')

          var media = root.querySelector('[data-preview-media]')
          var mediaLabel = root.querySelector('[data-preview-media-label]')
          var isMedia = format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT'
          media.hidden = !isMedia
          // Only the header fields of the chosen kind (without this file, all show).
          showField(form, 'header_text', format === 'TEXT')
          showField(form, 'header_example', format === 'TEXT')
          showField(form, 'header_sample', isMedia)
          mediaLabel.textContent =
            isMedia && labels ? labels.dataset[format.toLowerCase()] || '' : ''

          var headerEl = root.querySelector('[data-preview-header]')
          headerEl.textContent = header
          headerEl.hidden = !header
          root.querySelector('[data-preview-body]').textContent =
            fill(body, examples) || (labels ? labels.dataset.emptyBody : '')
          var footerEl = root.querySelector('[data-preview-footer]')
          footerEl.textContent = footer
          footerEl.hidden = !footer
          root.querySelector('[data-preview-count]').textContent = String(body.length)

          var list = root.querySelector('[data-preview-buttons]')
          list.replaceChildren()
          for (var i = 0; i < 10; i++) {
            var kind = field(form, 'buttons[' + i + '][type]')
            var text = field(form, 'buttons[' + i + '][text]').trim()
            if (!kind || !text) continue
            var item = document.createElement('li')
            item.dataset.kind = kind
            item.dir = 'auto'
            item.textContent =
              (kind === 'URL' ? '↗ ' : kind === 'PHONE_NUMBER' ? '☎ ' : '↩ ') + text
            list.appendChild(item)
          }
        },
      }
    })
  })
})()
