/*
 * The inbox's small client-side touches; everything works without them.
 *
 * - A refused action (422, or 409 when a newer conversation is in the way)
 *   answers with the page re-rendered around the message: htmx would drop
 *   a 4xx response, so it is swapped in like a success.
 * - The thread shows its latest message: scrolled to the end when the page
 *   opens, and after a live refresh if the reader was at the end already.
 */
;(function () {
  // head-support runs this file again after a boosted visit elsewhere and back.
  if (window.flomastrInbox) return
  window.flomastrInbox = true

  function inInbox(element) {
    return !!(element && element.closest && element.closest('[data-inbox]'))
  }

  // A boosted form reports the body as its element: the inbox page and the
  // address the form posted to say whose refusal it is.
  function fromInbox(detail) {
    var config = detail.requestConfig || {}
    var path = (detail.pathInfo && detail.pathInfo.requestPath) || ''
    if (inInbox(config.elt) || inInbox(detail.elt)) return true
    return !!document.querySelector('[data-inbox]') && /\/inbox\//.test(path)
  }

  document.addEventListener('htmx:beforeSwap', function (event) {
    var status = event.detail.xhr && event.detail.xhr.status
    if ((status === 422 || status === 409) && fromInbox(event.detail)) {
      event.detail.shouldSwap = true
      event.detail.isError = false
    }
  })

  var wasAtEnd = true

  function thread() {
    return document.getElementById('inbox-thread')
  }

  function atEnd(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < 48
  }

  function toEnd() {
    var element = thread()
    if (element && !new URL(window.location.href).searchParams.has('before')) {
      element.scrollTop = element.scrollHeight
    }
  }

  document.addEventListener('htmx:beforeRequest', function (event) {
    var element = thread()
    if (element && event.detail.elt === element) wasAtEnd = atEnd(element)
  })

  document.addEventListener('htmx:afterSettle', function (event) {
    var target = event.detail.target
    if (!target) return
    // A boosted navigation swaps the body: a newly opened conversation.
    if (target === document.body) return toEnd()
    var elt = event.detail.elt
    var refreshed = target.id === 'inbox-thread' || (elt && elt.id === 'inbox-thread')
    if (refreshed && wasAtEnd) toEnd()
  })

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', toEnd)
  else toEnd()
})()
