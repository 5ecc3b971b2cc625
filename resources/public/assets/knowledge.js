/*
 * The Knowledge pages' FAQ form: add and remove question rows. The server
 * renders a fixed number of rows, so the form works without this file.
 * Registered for Alpine's CSP build: the template names `faqRows` with its
 * `add` and `remove` methods and the `ready` flag only.
 */
;(function () {
  // Rows are posted as faq[0][question], faq[0][answer], ...: renumber after each change.
  function renumber(list) {
    var rows = list.querySelectorAll('[data-faq-row]')
    rows.forEach(function (row, index) {
      row.querySelectorAll('[data-faq-field]').forEach(function (input) {
        var field = input.dataset.faqField
        input.name = 'faq[' + index + '][' + field + ']'
        input.id = 'faq-' + index + '-' + field
      })
      row.querySelectorAll('[data-faq-label]').forEach(function (label) {
        var field = label.dataset.faqLabel
        var template = row.querySelector('.knowledge-faq-remove').dataset[field + 'Label'] || ''
        label.htmlFor = 'faq-' + index + '-' + field
        label.textContent = template.replace('#', String(index + 1))
      })
    })
  }

  document.addEventListener('alpine:init', function () {
    window.Alpine.data('faqRows', function () {
      return {
        ready: false,
        init: function () {
          this.ready = true
        },
        add: function () {
          var list = this.$root.querySelector('[data-faq-rows]')
          var rows = list.querySelectorAll('[data-faq-row]')
          var last = rows[rows.length - 1]
          var copy = last.cloneNode(true)
          copy.querySelectorAll('[data-faq-field]').forEach(function (input) {
            input.value = ''
          })
          list.appendChild(copy)
          renumber(list)
          copy.querySelector('[data-faq-field="question"]').focus()
        },
        remove: function (event) {
          var list = this.$root.querySelector('[data-faq-rows]')
          var row = event.target.closest('[data-faq-row]')
          if (list.querySelectorAll('[data-faq-row]').length <= 1) {
            row.querySelectorAll('[data-faq-field]').forEach(function (input) {
              input.value = ''
            })
            return
          }
          row.remove()
          renumber(list)
        },
      }
    })
  })
})()
