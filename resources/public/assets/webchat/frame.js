/*
 * The web chat inside its iframe. It talks only to its own origin (the
 * /webchat/<channel>/… endpoints), keeps the visitor's token in this
 * origin's localStorage, hears replies over server-sent events (polling
 * when the stream is down) and tells the host page's loader when to make
 * room (open), shrink (close) or hide (unavailable).
 */
;(function () {
  'use strict'

  var HOST_MESSAGE = 'flomastr-webchat'
  var POLL_MS = 15000
  var body = document.body
  var inFrame = window.parent !== window

  function tellHost(type) {
    // Only the host page's size changes hang on this; nothing private is sent.
    if (inFrame) window.parent.postMessage({ source: HOST_MESSAGE, type: type }, '*')
  }

  if (body.hasAttribute('data-unavailable')) {
    tellHost('unavailable')
    return
  }

  var config = JSON.parse(document.getElementById('webchat-config').textContent)
  var strings = config.strings
  var storageKey = 'flomastr.webchat.' + config.channelId
  var panel = document.getElementById('webchat-panel')
  var launcher = document.querySelector('[data-action="open"]')
  var closer = document.querySelector('[data-action="close"]')
  var list = document.querySelector('[data-messages]')
  var notice = document.querySelector('[data-notice]')
  var form = document.querySelector('[data-composer]')
  var input = form.querySelector('textarea')
  var unread = document.querySelector('[data-unread]')

  var token = load()
  var cursor = null
  var rendered = new Map() // message id -> element
  var pendingByClientId = new Map() // client id -> element
  var stream = null // an EventSource, or a marker while its ticket is on the way
  var streamConversation = null
  var streamRetryAt = 0
  var teamCursor = null // the latest message of the team shown
  var deliveredUpTo = null
  var readUpTo = null
  var conversation = null
  var pollTimer = null
  var fetching = null
  var fetchAgain = false
  var isOpen = false

  // --- storage (a browser that refuses storage keeps the token for this page only)

  function load() {
    try {
      return window.localStorage.getItem(storageKey)
    } catch (e) {
      return null
    }
  }

  function save(value) {
    token = value
    try {
      if (value) window.localStorage.setItem(storageKey, value)
      else window.localStorage.removeItem(storageKey)
    } catch (e) {
      /* storage blocked: the token lives as long as this page */
    }
  }

  // --- HTTP

  function api(path, options) {
    options = options || {}
    var headers = { Accept: 'application/json' }
    if (options.body) headers['Content-Type'] = 'application/json'
    if (token && options.auth !== false) headers.Authorization = 'Bearer ' + token
    return fetch(config.api + path, {
      method: options.method || 'GET',
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {}
        })
        .then(function (json) {
          return { status: response.status, json: json }
        })
    })
  }

  function startSession() {
    return api('/sessions', {
      method: 'POST',
      body: { locale: config.locale },
      auth: false,
    }).then(function (answer) {
      if (answer.status !== 201) throw answer
      save(answer.json.visitorToken)
      return token
    })
  }

  function randomId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID()
    var bytes = new Uint8Array(16)
    window.crypto.getRandomValues(bytes)
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2)
      })
      .join('')
  }

  // --- rendering

  var URL_PATTERN = /(https?:\/\/[^\s<]+[^\s<.,;:!?)\]'"])/g

  /** Text with its links made clickable; never HTML. */
  function fillText(element, text) {
    var parts = String(text || '').split(URL_PATTERN)
    parts.forEach(function (part, index) {
      if (index % 2 === 1) {
        var link = document.createElement('a')
        link.href = part
        link.textContent = part
        link.target = '_blank'
        link.rel = 'noopener noreferrer'
        element.appendChild(link)
      } else if (part) {
        element.appendChild(document.createTextNode(part))
      }
    })
  }

  function timeOf(iso) {
    try {
      return new Date(iso).toLocaleTimeString(config.locale, { hour: 'numeric', minute: '2-digit' })
    } catch (e) {
      return ''
    }
  }

  function buildMessage(message) {
    var item = document.createElement('li')
    var mine = message.from === 'visitor'
    item.className = 'message ' + (mine ? 'from-visitor' : 'from-team')
    item.setAttribute('data-message-id', message.id || '')
    var bubble = document.createElement('div')
    bubble.className = 'bubble'
    if (message.media && /^https:\/\//.test(message.media.link)) {
      if (message.media.type === 'image' || message.media.type === 'sticker') {
        var image = document.createElement('img')
        image.className = 'media-image'
        image.src = message.media.link
        image.alt = message.media.caption || ''
        bubble.appendChild(image)
      } else {
        var file = document.createElement('a')
        file.href = message.media.link
        file.target = '_blank'
        file.rel = 'noopener noreferrer'
        file.textContent = message.media.filename || strings.attachment
        bubble.appendChild(file)
        if (message.text) bubble.appendChild(document.createElement('br'))
      }
    }
    if (message.text) fillText(bubble, message.text)
    item.appendChild(bubble)
    var pickers = []
    if (message.cards && message.cards.length) {
      // A list's rows as cards: image, title, lines and a link; "Choose" picks the row.
      var cards = document.createElement('div')
      cards.className = 'cards'
      message.cards.forEach(function (card) {
        var box = document.createElement('article')
        box.className = 'card'
        box.setAttribute('data-card', card.id)
        if (card.image && /^https:\/\//.test(card.image)) {
          var picture = document.createElement('img')
          picture.className = 'card-image'
          picture.src = card.image
          picture.alt = ''
          picture.loading = 'lazy'
          box.appendChild(picture)
        }
        var title = document.createElement('h3')
        title.className = 'card-title'
        title.dir = 'auto'
        title.textContent = card.title
        box.appendChild(title)
        if (card.lines && card.lines.length) {
          var lines = document.createElement('ul')
          lines.className = 'card-lines'
          card.lines.forEach(function (line) {
            var entry = document.createElement('li')
            entry.dir = 'auto'
            entry.textContent = line
            lines.appendChild(entry)
          })
          box.appendChild(lines)
        }
        var actions = document.createElement('div')
        actions.className = 'card-actions'
        if (card.link && /^https:\/\//.test(card.link)) {
          var open = document.createElement('a')
          open.href = card.link
          open.target = '_blank'
          open.rel = 'noopener noreferrer'
          open.textContent = strings.open
          actions.appendChild(open)
        }
        var pick = document.createElement('button')
        pick.type = 'button'
        pick.textContent = strings.choose
        pick.addEventListener('click', function () {
          pickers.forEach(function (b) {
            b.disabled = true
          })
          send(card.title, card.id)
        })
        pickers.push(pick)
        actions.appendChild(pick)
        box.appendChild(actions)
        cards.appendChild(box)
      })
      item.appendChild(cards)
    }
    if (message.choices && message.choices.length) {
      var choices = document.createElement('div')
      choices.className = 'choices'
      message.choices.forEach(function (choice) {
        var button = document.createElement('button')
        button.type = 'button'
        button.textContent = choice.title
        button.addEventListener('click', function () {
          pickers.forEach(function (b) {
            b.disabled = true
          })
          send(choice.title, choice.id)
        })
        pickers.push(button)
        choices.appendChild(button)
      })
      item.appendChild(choices)
    }
    if (message.link && /^https:\/\//.test(message.link.url)) {
      // WhatsApp's URL button: one button that opens the address.
      var links = document.createElement('div')
      links.className = 'choices'
      var go = document.createElement('a')
      go.className = 'link-button'
      go.href = message.link.url
      go.target = '_blank'
      go.rel = 'noopener noreferrer'
      go.dir = 'auto'
      go.textContent = message.link.title
      links.appendChild(go)
      item.appendChild(links)
    }
    var meta = document.createElement('p')
    meta.className = 'meta'
    // Isolated runs, so an English name beside an Arabic time keeps its order.
    if (!mine) {
      var who = document.createElement('bdi')
      who.textContent = strings.team
      meta.appendChild(who)
      meta.appendChild(document.createTextNode(' · '))
    }
    var when = document.createElement('time')
    when.dateTime = message.at
    when.textContent = timeOf(message.at)
    meta.appendChild(document.createElement('bdi')).appendChild(when)
    item.appendChild(meta)
    return item
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight
  }

  /** Adds the messages not yet shown; a sent message replaces its placeholder. */
  function show(messages) {
    var stick = nearBottom()
    var fromTeam = false
    messages.forEach(function (message) {
      if (rendered.has(message.id)) return
      var element = buildMessage(message)
      var placeholder = message.clientId && pendingByClientId.get(message.clientId)
      if (placeholder) {
        placeholder.replaceWith(element)
        pendingByClientId.delete(message.clientId)
      } else {
        list.appendChild(element)
        if (message.from !== 'visitor') fromTeam = true
      }
      rendered.set(message.id, element)
      if (message.from !== 'visitor') {
        teamCursor = Math.max(teamCursor || 0, Number(message.cursor))
      }
    })
    if (stick || fromTeam) scrollDown()
    if (fromTeam && !isOpen) unread.hidden = false
    acknowledge()
  }

  // --- receipts: the team's ticks turn to delivered, then read

  function seen() {
    return isOpen && document.visibilityState === 'visible'
  }

  /** Tells the team how far the visitor's page has shown, or the visitor has seen. */
  function acknowledge() {
    if (!token || teamCursor === null) return
    var status = seen() ? 'read' : 'delivered'
    var before = { delivered: deliveredUpTo, read: readUpTo }
    if ((status === 'read' ? readUpTo : deliveredUpTo) >= teamCursor) return
    var upTo = teamCursor
    deliveredUpTo = upTo
    if (status === 'read') readUpTo = upTo
    api('/receipts', { method: 'POST', body: { status: status, upTo: String(upTo) } })
      .then(function (answer) {
        if (answer.status !== 200) throw answer
      })
      .catch(function () {
        // Told again with the next message, or when the chat is next seen.
        if (deliveredUpTo === upTo) deliveredUpTo = before.delivered
        if (readUpTo === upTo) readUpTo = before.read
      })
  }

  document.addEventListener('visibilitychange', acknowledge)

  function setNotice(text) {
    notice.textContent = text || ''
    notice.hidden = !text
  }

  // --- reading

  /** Fetches what is new; calls made while one runs are folded into one more. */
  function refresh() {
    if (!token) return Promise.resolve()
    if (fetching) {
      fetchAgain = true
      return fetching
    }
    var path = '/messages' + (cursor ? '?after=' + encodeURIComponent(cursor) : '')
    fetching = api(path)
      .then(function (answer) {
        if (answer.status === 401) {
          forget()
          return
        }
        if (answer.status !== 200) return
        show(answer.json.data || [])
        if (answer.json.cursor) cursor = answer.json.cursor
        conversation = answer.json.conversationId || null
        if ((!stream && Date.now() >= streamRetryAt) || conversation !== streamConversation)
          listen()
        setNotice('')
      })
      .catch(function () {
        setNotice(strings.offline)
      })
      .then(function () {
        fetching = null
        if (fetchAgain) {
          fetchAgain = false
          return refresh()
        }
      })
    return fetching
  }

  /** The token is no longer valid (the contact was removed): start afresh. */
  function forget() {
    save(null)
    closeStream()
  }

  function closeStream() {
    if (stream && stream.close) stream.close()
    stream = null
    streamConversation = null
  }

  /**
   * Opens the live stream with a short-lived ticket (the address of an
   * EventSource is logged by proxies; the visitor's token stays out of it).
   */
  function listen() {
    if (!token || !window.EventSource) return
    closeStream()
    var opening = {}
    stream = opening
    // The server follows the visitor's current conversation, the one the
    // last answer named; a new one (after the team resolved the last) needs
    // a new stream.
    streamConversation = conversation
    api('/stream-tickets', { method: 'POST' })
      .then(function (answer) {
        if (stream !== opening) return
        if (answer.status === 401) return forget()
        if (answer.status !== 201) throw answer
        var source = new EventSource(
          config.api + '/stream?ticket=' + encodeURIComponent(answer.json.ticket)
        )
        stream = source
        source.addEventListener('ready', function () {
          refresh()
        })
        source.addEventListener('webchat', function () {
          refresh()
        })
        source.addEventListener('error', function () {
          // EventSource reconnects by itself with the same ticket. Once the
          // server refuses it (the ticket expired) the source closes: a new
          // ticket, not at once. Polling covers the gap.
          if (source.readyState === 2 && stream === source) lost()
          refresh()
        })
      })
      .catch(function () {
        if (stream === opening) lost()
      })
  }

  function lost() {
    stream = null
    streamConversation = null
    streamRetryAt = Date.now() + 5000
  }

  function poll() {
    clearInterval(pollTimer)
    pollTimer = setInterval(function () {
      if (!stream || stream.readyState !== 1) refresh()
    }, POLL_MS)
  }

  // --- sending

  function placeholderFor(text, clientId) {
    var element = buildMessage({ from: 'visitor', text: text, at: new Date().toISOString() })
    element.classList.add('pending')
    element.querySelector('.meta').textContent = strings.sending
    element.setAttribute('data-client-id', clientId)
    list.appendChild(element)
    pendingByClientId.set(clientId, element)
    scrollDown()
    return element
  }

  function markFailed(element, text, clientId, choiceId, reason) {
    element.classList.remove('pending')
    element.classList.add('failed')
    var meta = element.querySelector('.meta')
    meta.textContent = reason || strings.failed
    var retry = document.createElement('button')
    retry.type = 'button'
    retry.className = 'retry'
    retry.textContent = strings.retry
    retry.addEventListener('click', function () {
      element.classList.remove('failed')
      element.classList.add('pending')
      meta.textContent = strings.sending
      deliver(element, text, clientId, choiceId, true)
    })
    meta.appendChild(retry)
  }

  function deliver(element, text, clientId, choiceId, mayRenew) {
    var ready = token ? Promise.resolve(token) : startSession()
    return ready
      .then(function () {
        var payload = { clientId: clientId, text: text }
        if (choiceId) payload.choiceId = choiceId
        return api('/messages', { method: 'POST', body: payload })
      })
      .then(function (answer) {
        if (answer.status === 401 && mayRenew) {
          forget()
          return deliver(element, text, clientId, choiceId, false)
        }
        if (answer.status === 429) {
          markFailed(element, text, clientId, choiceId, strings.rateLimited)
          return
        }
        if (answer.status !== 200 && answer.status !== 201) {
          markFailed(element, text, clientId, choiceId)
          return
        }
        show([answer.json.message])
        conversation = answer.json.conversationId
        if (!stream || conversation !== streamConversation) listen()
        refresh()
      })
      .catch(function () {
        markFailed(element, text, clientId, choiceId, strings.offline)
      })
  }

  function send(text, choiceId) {
    var clientId = randomId()
    var element = placeholderFor(text, clientId)
    return deliver(element, text, clientId, choiceId || null, true)
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault()
    var text = input.value
    if (!text.trim()) return
    if (text.length > 4096) {
      setNotice(strings.tooLong)
      return
    }
    input.value = ''
    grow()
    setNotice('')
    send(text, null)
    input.focus()
  })

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      form.requestSubmit()
    }
  })

  function grow() {
    input.style.height = 'auto'
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px'
  }
  input.addEventListener('input', grow)

  // --- open and close

  function open() {
    isOpen = true
    body.setAttribute('data-state', 'open')
    panel.hidden = false
    launcher.setAttribute('aria-expanded', 'true')
    unread.hidden = true
    tellHost('open')
    scrollDown()
    input.focus()
    refresh()
    acknowledge()
  }

  function close() {
    isOpen = false
    body.setAttribute('data-state', 'closed')
    panel.hidden = true
    launcher.setAttribute('aria-expanded', 'false')
    tellHost('close')
    launcher.focus()
  }

  launcher.addEventListener('click', open)
  closer.addEventListener('click', close)
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && isOpen && inFrame) close()
  })

  // The host page's loader may open or close the chat (FloMastrWebChat.open()).
  window.addEventListener('message', function (event) {
    if (
      event.source !== window.parent ||
      !event.data ||
      event.data.source !== HOST_MESSAGE + '-host'
    ) {
      return
    }
    if (event.data.type === 'open') open()
    if (event.data.type === 'close') close()
  })

  if (!inFrame) body.classList.add('standalone')
  // A returning visitor sees their conversation and hears replies at once.
  if (token) refresh()
  poll()
  if (inFrame) tellHost('ready')
  else open()
})()
