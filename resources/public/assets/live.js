/*
 * Live updates for workspace pages. An element [data-live-events] names the
 * workspace's event stream; every notice it sends is re-dispatched on
 * document.body as DOM events that htmx elements listen for:
 *
 *   inbox-changed            anything in the inbox changed
 *   conversation-<uuid>      that conversation changed (message, tick, assignment)
 *   contact-<uuid>           that contact changed
 *
 * e.g. hx-trigger="conversation-{{ id }} from:body". After a reconnect an
 * inbox-changed is sent, since notices missed meanwhile are not replayed.
 * Without JavaScript, pages still show the truth on reload.
 */
;(function () {
  var source = null
  var url = null

  // A notice that arrives while htmx is swapping in a refreshed element can
  // miss it: the old element is gone and the new one not yet listening. So
  // notices heard while any request is in flight are heard again once the
  // swaps have settled (a refresh more, never a change missed).
  var inFlight = 0
  var heardMeanwhile = {}

  function dispatch(name, detail) {
    if (inFlight > 0) heardMeanwhile[name] = detail
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: false }))
  }

  document.addEventListener('htmx:beforeRequest', function () {
    inFlight++
  })
  document.addEventListener('htmx:afterRequest', function () {
    inFlight = Math.max(0, inFlight - 1)
  })
  document.addEventListener('htmx:afterSettle', function () {
    if (inFlight > 0) return
    var again = heardMeanwhile
    heardMeanwhile = {}
    Object.keys(again).forEach(function (name) {
      document.body.dispatchEvent(new CustomEvent(name, { detail: again[name], bubbles: false }))
    })
  })

  function connect() {
    var marker = document.querySelector('[data-live-events]')
    var wanted = marker ? marker.getAttribute('data-live-events') : null
    if (wanted === url) return
    if (source) source.close()
    source = null
    url = wanted
    if (!url || typeof EventSource === 'undefined') return

    var opened = false
    source = new EventSource(url)
    source.addEventListener('ready', function () {
      document.documentElement.setAttribute('data-live', 'on')
      // Reconnected: whatever happened while away is fetched again.
      if (opened) dispatch('inbox-changed', { kind: 'reconnect' })
      opened = true
    })
    source.addEventListener('inbox', function (event) {
      var notice
      try {
        notice = JSON.parse(event.data)
      } catch (error) {
        return
      }
      if (notice.conversationId) dispatch('conversation-' + notice.conversationId, notice)
      if (notice.contactId) dispatch('contact-' + notice.contactId, notice)
      dispatch('inbox-changed', notice)
    })
    source.addEventListener('error', function () {
      document.documentElement.setAttribute('data-live', 'reconnecting')
    })
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', connect)
  else connect()
  // hx-boost swaps the body: the new page may name another stream, or none.
  document.addEventListener('htmx:afterSettle', connect)
  window.addEventListener('pagehide', function () {
    if (source) source.close()
    source = null
    url = null
  })
})()
