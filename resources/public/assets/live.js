/*
 * Live updates for workspace pages. An element [data-live-events] names the
 * workspace's event stream; every notice it sends is re-dispatched on
 * document.body as DOM events that htmx elements listen for:
 *
 *   inbox-changed            anything in the inbox changed
 *   conversation-<uuid>      that conversation changed (message, tick, assignment)
 *   contact-<uuid>           that contact changed
 *   tasks-changed            a task was created, resolved or reassigned
 *   task-<uuid>              that task changed
 *   live-ready               the stream is open (again): what changed since
 *                            the page was drawn was not announced to it
 *
 * e.g. hx-trigger="conversation-{{ id }} from:body". After a reconnect an
 * inbox-changed and a tasks-changed are sent, since notices missed
 * meanwhile are not replayed.
 * Without JavaScript, pages still show the truth on reload.
 */
;(function () {
  var source = null
  var url = null

  // A notice can find nobody listening: while a refresh is in flight the
  // element only queues it, and htmx drops that queued request when the
  // response replaces the element; the new element only starts listening
  // when htmx settles it (20 ms after the swap). So a notice heard while any
  // request is in flight, or shortly after one ended, is heard again once
  // the page has been quiet for a moment: a refresh more, never a change
  // missed.
  var QUIET_MS = 150
  var GIVE_UP_WAITING_MS = 5000
  var inFlight = 0
  var lastEnded = 0
  var heardMeanwhile = {}
  var firstHeard = 0
  var replayTimer = null

  function fire(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: false }))
  }

  function busy() {
    return inFlight > 0 || Date.now() - lastEnded < QUIET_MS
  }

  function replayWhenQuiet() {
    if (replayTimer) return
    replayTimer = setTimeout(function () {
      replayTimer = null
      // A request whose element vanished may never report its end: waiting
      // has a limit.
      if (busy() && Date.now() - firstHeard < GIVE_UP_WAITING_MS) return replayWhenQuiet()
      var again = heardMeanwhile
      heardMeanwhile = {}
      firstHeard = 0
      Object.keys(again).forEach(function (name) {
        fire(name, again[name])
      })
    }, QUIET_MS)
  }

  function dispatch(name, detail) {
    if (busy()) {
      if (!firstHeard) firstHeard = Date.now()
      heardMeanwhile[name] = detail
      replayWhenQuiet()
    }
    fire(name, detail)
  }

  document.addEventListener('htmx:beforeRequest', function () {
    inFlight++
  })
  document.addEventListener('htmx:afterRequest', function () {
    inFlight = Math.max(0, inFlight - 1)
    lastEnded = Date.now()
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
      if (opened) {
        dispatch('inbox-changed', { kind: 'reconnect' })
        dispatch('tasks-changed', { kind: 'reconnect' })
      }
      // Open (first time or again): what changed between the page's render
      // and now was never announced to it. A view that must not miss that
      // (the sandbox phone, whose first flow message may be sent meanwhile)
      // listens for live-ready and fetches itself once.
      dispatch('live-ready', { kind: opened ? 'reconnect' : 'open' })
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
    // The task inbox's stream (modules/hitl).
    source.addEventListener('tasks', function (event) {
      var notice
      try {
        notice = JSON.parse(event.data)
      } catch (error) {
        return
      }
      if (notice.taskId) dispatch('task-' + notice.taskId, notice)
      dispatch('tasks-changed', notice)
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
