/*
 * FloMastr web chat loader. A site includes it with one tag:
 *
 *   <script src="https://<platform>/webchat/widget.js" data-channel="<channel id>" async></script>
 *
 * Optional attributes: data-locale="en|ar" (else the page's lang, then the
 * browser's) and data-position="left|right" (else right, or left in Arabic).
 *
 * It adds one iframe (the chat runs inside, on the platform's origin, so
 * the host page's styles and scripts cannot touch it) and one global,
 * window.FloMastrWebChat, with open() and close(). Nothing else on the page
 * changes.
 */
;(function () {
  'use strict'
  if (window.FloMastrWebChat) return

  var script =
    document.currentScript ||
    (function () {
      var all = document.querySelectorAll('script[data-channel][src*="/webchat/widget.js"]')
      return all[all.length - 1]
    })()
  if (!script) return
  var channel = script.getAttribute('data-channel') || ''
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(channel)) {
    if (window.console) window.console.warn('FloMastr web chat: data-channel is missing or wrong')
    return
  }
  var origin = new URL(script.src, window.location.href).origin

  function pickLocale() {
    var wanted = [
      script.getAttribute('data-locale'),
      document.documentElement.getAttribute('lang'),
      window.navigator.language,
    ]
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || '')
        .slice(0, 2)
        .toLowerCase()
      if (code === 'ar' || code === 'en') return code
    }
    return 'en'
  }

  var locale = pickLocale()
  var position = script.getAttribute('data-position')
  var onLeft = position ? position === 'left' : locale === 'ar'
  var CLOSED = 80
  var MARGIN = 8
  var isOpen = false

  var frame = document.createElement('iframe')
  frame.src = origin + '/webchat/' + channel + '/frame?locale=' + locale
  frame.title = locale === 'ar' ? 'الدردشة' : 'Chat'
  frame.setAttribute('allow', 'clipboard-write')
  var style = frame.style
  style.position = 'fixed'
  style.zIndex = '2147483000'
  style.border = '0'
  style.margin = '0'
  style.padding = '0'
  style.background = 'transparent'
  // Matching colour schemes keep the frame transparent around the launcher.
  style.colorScheme = 'light'
  style.display = 'none'
  style.maxWidth = 'none'
  style.maxHeight = 'none'
  style.bottom = MARGIN + 'px'
  style[onLeft ? 'left' : 'right'] = MARGIN + 'px'

  function layout() {
    var small = window.innerWidth <= 480
    if (!isOpen) {
      style.width = CLOSED + 'px'
      style.height = CLOSED + 'px'
      style.bottom = MARGIN + 'px'
      style[onLeft ? 'left' : 'right'] = MARGIN + 'px'
      style.borderRadius = '0'
      return
    }
    if (small) {
      style.width = '100%'
      style.height = '100%'
      style.bottom = '0'
      style[onLeft ? 'left' : 'right'] = '0'
    } else {
      style.width = 'min(400px, calc(100vw - ' + 2 * MARGIN + 'px))'
      style.height = 'min(640px, calc(100vh - ' + 2 * MARGIN + 'px))'
      style.bottom = MARGIN + 'px'
      style[onLeft ? 'left' : 'right'] = MARGIN + 'px'
    }
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return
    var data = event.data
    if (!data || data.source !== 'flomastr-webchat') return
    if (data.type === 'ready') {
      layout()
      style.display = 'block'
    } else if (data.type === 'open') {
      isOpen = true
      layout()
    } else if (data.type === 'close') {
      isOpen = false
      layout()
    } else if (data.type === 'unavailable') {
      // The channel is off (or gone): the site shows nothing at all.
      if (frame.parentNode) frame.parentNode.removeChild(frame)
    }
  })
  window.addEventListener('resize', layout)

  function tell(type) {
    if (frame.contentWindow) {
      frame.contentWindow.postMessage({ source: 'flomastr-webchat-host', type: type }, origin)
    }
  }

  window.FloMastrWebChat = {
    open: function () {
      tell('open')
    },
    close: function () {
      tell('close')
    },
  }

  function mount() {
    layout()
    document.body.appendChild(frame)
  }
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount)
})()
