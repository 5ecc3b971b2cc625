/*
 * The sandbox phone. Everything works without this file (forms post and the
 * page reloads); with it, the chat is refreshed in place by htmx and:
 *  - Enter sends the message (Shift+Enter for a new line), like a phone;
 *  - the composer is emptied once the message is accepted, kept when refused;
 *  - a refusal (422) is shown in the chat instead of being dropped;
 *  - the chat stays scrolled to the newest message;
 *  - a list the customer opened stays open (and where it was) when a live
 *    update redraws the chat; picking a row or sending closes it as usual.
 */
;(function () {
  function scrollChat() {
    var list = document.querySelector('#sandbox-chat .phone-messages')
    if (list) list.scrollTop = list.scrollHeight
  }

  // The customer form is a boosted GET: its 422 (a number that is not one)
  // is the whole page with the message beside the field.
  function customerRefused(detail) {
    var path = (detail.pathInfo && detail.pathInfo.requestPath) || ''
    return !!document.querySelector('.sandbox-layout') && /\/sandbox(\?|$)/.test(path)
  }

  // Set while a live refresh (the chat fetching itself) replaces the chat.
  var kept = null

  document.addEventListener('htmx:beforeSwap', function (event) {
    var target = event.detail.target
    var chat = target && target.id === 'sandbox-chat'
    kept = null
    if (chat && event.detail.elt === target) {
      var open = target.querySelectorAll('details.bubble-list[open]')
      if (open.length) {
        var messages = target.querySelector('.phone-messages')
        kept = {
          lists: Array.prototype.map.call(open, function (d) {
            return d.getAttribute('data-list')
          }),
          scrollTop: messages ? messages.scrollTop : 0,
        }
      }
    }
    if (event.detail.xhr.status === 422 && (chat || customerRefused(event.detail))) {
      event.detail.shouldSwap = true
      event.detail.isError = false
    }
  })

  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.detail.elt
    if (!form || !form.matches || !form.matches('[data-sandbox-composer]')) return
    if (event.detail.successful) {
      var text = form.querySelector('textarea[name="text"]')
      if (text) {
        text.value = ''
        text.removeAttribute('aria-invalid')
        text.focus()
      }
    }
  })

  document.addEventListener('htmx:afterSettle', function () {
    if (!kept) return scrollChat()
    var reopened = 0
    kept.lists.forEach(function (id) {
      var list = document.querySelector('#sandbox-chat details.bubble-list[data-list="' + id + '"]')
      if (list) {
        list.open = true
        reopened++
      }
    })
    var messages = document.querySelector('#sandbox-chat .phone-messages')
    if (reopened && messages) messages.scrollTop = kept.scrollTop
    else scrollChat()
    kept = null
  })
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scrollChat)
  else scrollChat()

  document.addEventListener('alpine:init', function () {
    window.Alpine.data('sandboxComposer', function () {
      return {
        submit: function (event) {
          if (event.shiftKey || event.isComposing) return
          event.preventDefault()
          if (this.$el.value.trim()) this.$el.form.requestSubmit()
        },
      }
    })
  })
})()
