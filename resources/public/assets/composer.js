/*
 * The inbox composer's client-side touches (Alpine CSP build: components are
 * named here, templates only name properties and methods). Everything works
 * without this file: the parts show one under another, `/shortcut` is
 * expanded by the server, and the template form is a page of its own.
 *
 * - composer: Reply / Template / Note as tabs.
 * - cannedPicker: typing `/` at the start of the reply lists canned
 *   responses (fetched by htmx); choosing one puts its text in the box.
 * - attachmentName: the file chosen behind the paperclip, by name.
 * - templatePreview: the template's body with the typed variables.
 */
;(function () {
  // head-support runs this file again after a boosted visit elsewhere and back.
  if (window.flomastrComposer) return
  window.flomastrComposer = true

  // A refused send answers 422 with the composer re-rendered around the
  // message; htmx would drop a 4xx response, so it is swapped in as well.
  document.addEventListener('htmx:beforeSwap', function (event) {
    var status = event.detail.xhr && event.detail.xhr.status
    var elt = event.detail.elt
    if (status === 422 && elt && elt.closest && elt.closest('[data-composer]')) {
      event.detail.shouldSwap = true
      event.detail.isError = false
    }
  })

  document.addEventListener('alpine:init', function () {
    var Alpine = window.Alpine

    Alpine.data('composer', function () {
      return {
        mode: 'reply',
        init: function () {
          this.mode = this.$el.dataset.mode || 'reply'
          // Tabs take over from the stacked no-JavaScript layout.
          this.$el.dataset.js = 'on'
          this.loadTemplates()
        },
        get isReply() {
          return this.mode === 'reply'
        },
        get isTemplate() {
          return this.mode === 'template'
        },
        get isNote() {
          return this.mode === 'note'
        },
        select: function (event) {
          this.mode = event.currentTarget.dataset.tab
          this.loadTemplates()
          var panel = this.$root.querySelector('[data-panel="' + this.mode + '"]')
          var field = panel && panel.querySelector('textarea, input:not([type=hidden])')
          if (field)
            this.$nextTick(function () {
              field.focus()
            })
        },
        // The template list is fetched the first time its tab opens.
        loadTemplates: function () {
          if (this.mode !== 'template') return
          var loader = this.$root.querySelector('.composer-template-loader')
          if (loader) loader.dispatchEvent(new CustomEvent('composer-templates'))
        },
      }
    })

    // The paperclip's chosen file, named beside it (the input itself is hidden).
    Alpine.data('attachmentName', function () {
      return {
        name: '',
        chosen: function (event) {
          var file = event.target.files && event.target.files[0]
          this.name = file ? file.name : ''
        },
      }
    })

    Alpine.data('cannedPicker', function () {
      return {
        open: false,
        typed: function () {
          var value = this.$refs.text.value
          if (/^\/[A-Za-z0-9_-]{0,32}$/.test(value)) {
            this.open = true
            this.$refs.menu.dispatchEvent(new CustomEvent('canned-search'))
          } else {
            this.open = false
          }
        },
        options: function () {
          return Array.prototype.slice.call(this.$refs.menu.querySelectorAll('[data-canned-text]'))
        },
        key: function (event) {
          if (!this.open) return
          var options = this.options()
          if (event.key === 'Escape') {
            this.open = false
            return event.preventDefault()
          }
          if (!options.length) return
          var current = options.findIndex(function (option) {
            return option.getAttribute('aria-selected') === 'true'
          })
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault()
            var step = event.key === 'ArrowDown' ? 1 : -1
            var next = (current + step + options.length) % options.length
            options.forEach(function (option, index) {
              option.setAttribute('aria-selected', index === next ? 'true' : 'false')
            })
            this.$refs.text.setAttribute('aria-activedescendant', options[next].id)
            options[next].scrollIntoView({ block: 'nearest' })
          } else if (event.key === 'Enter' || event.key === 'Tab') {
            event.preventDefault()
            this.insert(options[Math.max(current, 0)])
          }
        },
        pick: function (event) {
          var option = event.target.closest('[data-canned-text]')
          if (option) this.insert(option)
        },
        insert: function (option) {
          var text = this.$refs.text
          text.value = option.dataset.cannedText
          text.removeAttribute('aria-activedescendant')
          this.open = false
          text.focus()
          text.setSelectionRange(text.value.length, text.value.length)
        },
      }
    })

    Alpine.data('templatePreview', function () {
      return {
        init: function () {
          var self = this
          this.$el.addEventListener('input', function () {
            self.render()
          })
          this.render()
        },
        render: function () {
          var form = this.$root
          var body = form.dataset.body || ''
          var text = body.replace(/\{\{\s*(\d+)\s*\}\}/g, function (whole, number) {
            var field = form.querySelector('[data-variable="' + number + '"]')
            if (!field) return whole
            return field.value.trim() || field.placeholder || whole
          })
          if (this.$refs.preview) this.$refs.preview.textContent = text
        },
      }
    })
  })
})()
