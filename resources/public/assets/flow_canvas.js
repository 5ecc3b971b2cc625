/*
 * The flow canvas: the draft graph drawn as nodes (HTML) and branches
 * (SVG), edited with the mouse, touch or the keyboard, with a side panel
 * holding the selected node's form. Our own code rather than a graph
 * library: see the commit that added it. The server owns validation: every
 * save posts the graph and shows the problems it answers at their nodes.
 *
 * Without this file the page shows the draft as a list of nodes and their
 * branches, and JSON import/export edits it. Registered for Alpine's CSP
 * build as `flowCanvas` (its init builds everything; no expressions).
 *
 * Keyboard: Tab through the nodes; Enter opens a node in the panel; Delete
 * removes it; arrow keys move it; a port button (or its "leads to" select
 * in the panel) connects a branch: press it, then Enter on the target node.
 */
;(function () {
  var NODE_W = 200
  var SVGNS = 'http://www.w3.org/2000/svg'
  var ID = /^[A-Za-z0-9_-]{1,64}$/
  var VARIABLE = /^[a-z][a-z0-9_]{0,39}$/i

  function el(tag, attrs, children) {
    var node = document.createElement(tag)
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key]
        if (value === null || value === undefined || value === false) return
        if (key === 'text') node.textContent = value
        else if (key === 'className') node.className = value
        else node.setAttribute(key, value === true ? '' : String(value))
      })
    }
    ;(children || []).forEach(function (child) {
      if (child) node.appendChild(child)
    })
    return node
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag)
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, String(attrs[key]))
    })
    return node
  }

  /*
   * Placeholders ({{contact.name}}) are Latin inside what may be Arabic: a
   * text's direction is that of its first letter outside them (else the
   * page's), and on a card each placeholder is isolated left-to-right, so
   * its braces are never mirrored nor the sentence turned around.
   */
  var PLACEHOLDER = /(\{\{\s*[A-Za-z0-9_.]+\s*\}\})/
  var RTL_LETTER = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/
  var LTR_LETTER = /[A-Za-z\u00C0-\u02B8\u0370-\u052F]/

  function pageDir() {
    return document.documentElement.getAttribute('dir') === 'rtl' ? 'rtl' : 'ltr'
  }

  function dirOf(text) {
    var plain = String(text || '').split(PLACEHOLDER).filter(function (part, i) {
      return i % 2 === 0
    }).join(' ')
    for (var i = 0; i < plain.length; i++) {
      if (RTL_LETTER.test(plain[i])) return 'rtl'
      if (LTR_LETTER.test(plain[i])) return 'ltr'
    }
    return pageDir()
  }

  /** A paragraph of `text` with its placeholders isolated as <bdi dir="ltr">. */
  function bidiText(tag, attrs, text) {
    var node = el(tag, Object.assign({ dir: dirOf(text) }, attrs))
    String(text || '').split(PLACEHOLDER).forEach(function (part, i) {
      if (!part) return
      node.appendChild(i % 2 ? el('bdi', { dir: 'ltr', text: part }) : document.createTextNode(part))
    })
    return node
  }

  /** Inputs that hold texts with placeholders: their direction follows their words. */
  function followDir(input) {
    input.setAttribute('dir', dirOf(input.value))
    input.addEventListener('input', function () {
      input.setAttribute('dir', dirOf(input.value))
    })
  }

  /** The ports a node leaves by: the same rule as the server's portsOf (graph.ts). */
  function portsOf(node) {
    switch (node.type) {
      case 'message': {
        var choices = choicesOf(node)
        return choices.length
          ? ['next', 'fallback'].concat(
              choices.map(function (c) {
                return c.id
              })
            )
          : ['next']
      }
      case 'question':
      case 'lookup':
      case 'task':
      case 'booking':
        return ['next', 'fallback']
      case 'condition':
        return ['true', 'false']
      case 'set':
      case 'enroll':
      case 'wait':
        return ['next']
      default:
        return []
    }
  }

  function choicesOf(node) {
    if (node.type !== 'message') return []
    var data = node.data || {}
    if (Array.isArray(data.buttons) && data.buttons.length) return data.buttons
    if (data.list && Array.isArray(data.list.rows)) return data.list.rows
    return []
  }

  function mount(root) {
    var source = root.querySelector('[data-canvas-data]')
    if (!source) return
    var config = JSON.parse(source.textContent || '{}')
    var L = config.labels || {}
    var graph = config.graph || { nodes: [], edges: [] }
    var problems = config.problems || []
    var token = (root.querySelector('input[name="_csrf"]') || {}).value || ''
    var state = { selected: null, zoom: 1, panX: 0, panY: 0, dirty: false, connecting: null }
    var saving = null

    root.classList.add('is-live')
    var fallbackList = document.querySelector('[data-outline]')
    if (fallbackList) fallbackList.hidden = true
    // The canvas lists the problems live; a refusal's message stays.
    var staleProblems = document.querySelector('[data-problems]:not([data-refused])')
    if (staleProblems) staleProblems.hidden = true
    var staleCount = document.querySelector('[data-draft-count]')
    if (staleCount) staleCount.hidden = true

    // ---------------------------------------------------------------- layout
    var status = el('p', { className: 'canvas-status', role: 'status', 'aria-live': 'polite' })
    var typeSelect = el(
      'select',
      { id: 'canvas-add-type', 'data-add-type': true },
      config.types.map(function (t) {
        return el('option', { value: t.type, text: t.label })
      })
    )
    var addButton = el('button', {
      type: 'button',
      className: 'button secondary',
      text: L.add,
      'data-add-node': true,
    })
    var saveButton = el('button', {
      type: 'button',
      className: 'button',
      text: L.save,
      'data-save-graph': true,
    })
    var zoomOut = el('button', {
      type: 'button',
      className: 'button secondary icon',
      text: '−',
      'aria-label': L.zoom_out,
    })
    var zoomIn = el('button', {
      type: 'button',
      className: 'button secondary icon',
      text: '+',
      'aria-label': L.zoom_in,
    })
    var zoomFit = el('button', { type: 'button', className: 'button secondary', text: L.fit })
    var toolbar = el('div', { className: 'canvas-toolbar' }, [
      el('label', { for: 'canvas-add-type', className: 'visually-hidden', text: L.palette }),
      typeSelect,
      addButton,
      el('span', { className: 'canvas-spacer' }),
      zoomOut,
      zoomIn,
      zoomFit,
      saveButton,
    ])
    var edgesSvg = svg('svg', { class: 'canvas-edges', width: 6000, height: 6000 })
    var layer = el('div', { className: 'canvas-layer' })
    layer.appendChild(edgesSvg)
    var viewport = el(
      'div',
      {
        className: 'canvas-viewport',
        dir: 'ltr',
        role: 'application',
        'aria-label': L.canvas,
        'data-canvas': true,
      },
      [layer]
    )
    var panel = el('aside', { className: 'canvas-panel', 'aria-label': L.panel, 'data-panel': true })
    var nodeList = el('ol', { className: 'canvas-list', 'data-node-list': true })
    var problemBox = el('div', { className: 'canvas-problems', 'data-canvas-problems': true })
    var editor = el('div', { className: 'canvas-editor' }, [viewport, panel])
    var mountPoint = root.querySelector('[data-canvas-mount]') || root
    mountPoint.appendChild(toolbar)
    mountPoint.appendChild(status)
    mountPoint.appendChild(editor)
    mountPoint.appendChild(problemBox)
    mountPoint.appendChild(el('h3', { text: L.list_title }))
    mountPoint.appendChild(nodeList)

    function say(text) {
      status.textContent = text
    }

    // ----------------------------------------------------------------- model
    function find(id) {
      for (var i = 0; i < graph.nodes.length; i++) if (graph.nodes[i].id === id) return graph.nodes[i]
      return null
    }

    function edgeOf(from, port) {
      for (var i = 0; i < graph.edges.length; i++) {
        var e = graph.edges[i]
        if (e.from === from && e.port === port) return e
      }
      return null
    }

    function connect(from, port, to) {
      graph.edges = graph.edges.filter(function (e) {
        return !(e.from === from && e.port === port)
      })
      if (to) graph.edges.push({ from: from, port: port, to: to })
      changed()
    }

    function freshId(prefix) {
      var n = 1
      while (find(prefix + '_' + n)) n++
      return prefix + '_' + n
    }

    function defaults(type) {
      switch (type) {
        case 'message':
          return { text: '' }
        case 'question':
          return { text: '', kind: 'text', variable: 'answer', max_retries: 1 }
        case 'condition':
          return { match: 'all', rules: [{ on: 'variable', key: '', op: 'eq', value: '' }] }
        case 'set':
          return { target: 'variable', key: '', value: '' }
        case 'wait':
          return { minutes: 60 }
        case 'jump':
          return { to: '' }
        case 'lookup':
          return { source: 'dataset', source_id: '', query: '', variable: 'results', limit: 5 }
        case 'task':
          return { title: '' }
        case 'enroll':
          return { sequence_id: '' }
        case 'booking':
          return { service_id: '', days: 7, text: '', variable: 'booking' }
        default:
          return { text: '' }
      }
    }

    function addNode(type) {
      var rect = viewport.getBoundingClientRect()
      var x = Math.round((rect.width / 2 - state.panX) / state.zoom - NODE_W / 2 + Math.random() * 40)
      var y = Math.round((rect.height / 3 - state.panY) / state.zoom + Math.random() * 40)
      var node = { id: freshId(type), type: type, position: { x: x, y: y }, data: defaults(type) }
      graph.nodes.push(node)
      changed()
      select(node.id, true)
      say(L.added)
    }

    function removeNode(id) {
      var index = graph.nodes.findIndex(function (n) {
        return n.id === id
      })
      if (index < 0) return
      graph.nodes.splice(index, 1)
      graph.edges = graph.edges.filter(function (e) {
        return e.from !== id && e.to !== id
      })
      if (state.selected === id) state.selected = null
      changed()
      renderPanel()
      say(L.deleted)
      var next = layer.querySelector('.fnode')
      if (next) next.focus()
      else addButton.focus()
    }

    function renameNode(node, id) {
      if (!ID.test(id) || find(id)) return false
      var old = node.id
      node.id = id
      graph.edges.forEach(function (e) {
        if (e.from === old) e.from = id
        if (e.to === old) e.to = id
      })
      graph.nodes.forEach(function (n) {
        if (n.type === 'jump' && n.data && n.data.to === old) n.data.to = id
      })
      problems.forEach(function (p) {
        if (p.node === old) p.node = id
      })
      if (state.selected === old) state.selected = id
      changed()
      return true
    }

    /** Drops edges whose port the node no longer has (a button removed). */
    function pruneEdges(node) {
      var ports = portsOf(node)
      graph.edges = graph.edges.filter(function (e) {
        return e.from !== node.id || ports.indexOf(e.port) >= 0
      })
    }

    // ---------------------------------------------------------------- render
    function portLabel(node, port) {
      if (port === 'next') return L.port_next
      if (port === 'fallback') return L.port_fallback
      if (port === 'true') return L.port_true
      if (port === 'false') return L.port_false
      var choice = choicesOf(node).find(function (c) {
        return c.id === port
      })
      return choice ? choice.title || port : port
    }

    function typeLabel(type) {
      var found = config.types.find(function (t) {
        return t.type === type
      })
      return found ? found.label : type
    }

    function summary(node) {
      var d = node.data || {}
      switch (node.type) {
        case 'condition':
          return (d.rules || [])
            .map(function (r) {
              return [r.key, r.op, r.value].filter(Boolean).join(' ')
            })
            .join(d.match === 'any' ? ' | ' : ' & ')
        case 'set':
          return [d.target, d.key, d.value].filter(Boolean).join(' ')
        case 'wait':
          return d.minutes + ' min'
        case 'jump':
          return '→ ' + (d.to || '?')
        case 'task':
          return d.title || ''
        case 'lookup':
          return (d.source || '') + ' · ' + (d.query || '')
        case 'booking':
          return d.text || ''
        case 'enroll':
          return nameOf('sequence', d.sequence_id)
        default:
          return d.text || ''
      }
    }

    /** At most `max` characters, never cutting a placeholder in two. */
    function shorten(text, max) {
      text = String(text || '')
      if (text.length <= max) return text
      var cut = text.slice(0, max)
      var open = cut.lastIndexOf('{{')
      if (open >= 0 && cut.indexOf('}}', open) < 0) cut = cut.slice(0, open)
      return cut + '…'
    }

    function nameOf(kind, id) {
      var found = (config.pickers[kind] || []).find(function (p) {
        return p.id === id
      })
      return found ? found.name : ''
    }

    function problemsOf(id) {
      return problems.filter(function (p) {
        return p.node === id
      })
    }

    function renderNodes() {
      Array.prototype.slice.call(layer.querySelectorAll('.fnode')).forEach(function (n) {
        n.remove()
      })
      graph.nodes.forEach(function (node, index) {
        var own = problemsOf(node.id)
        var card = el(
          'div',
          {
            className:
              'fnode fnode--' +
              node.type +
              (state.selected === node.id ? ' is-selected' : '') +
              (own.length ? ' has-problem' : '') +
              (index === 0 ? ' is-start' : ''),
            tabindex: 0,
            role: 'button',
            'aria-pressed': state.selected === node.id ? 'true' : 'false',
            'aria-label': typeLabel(node.type) + ' ' + node.id + (own.length ? ' · ' + L.has_problems : ''),
            'data-node-id': node.id,
          },
          [
            el('div', { className: 'fnode-head' }, [
              el('span', { className: 'fnode-type', text: typeLabel(node.type) }),
              el('code', { className: 'fnode-id', text: node.id }),
            ]),
            bidiText('p', { className: 'fnode-text' }, shorten(summary(node), 90)),
            own.length
              ? el('p', {
                  className: 'fnode-problem',
                  'data-node-problem': node.id,
                  text: own[0].text || own[0].message,
                })
              : null,
            el(
              'div',
              { className: 'fnode-ports' },
              portsOf(node).map(function (port) {
                var target = edgeOf(node.id, port)
                return el('button', {
                  type: 'button',
                  className: 'fport' + (target ? ' is-connected' : ''),
                  'data-port': port,
                  dir: 'auto',
                  tabindex: -1,
                  'aria-label': L.connect_port + ': ' + portLabel(node, port),
                  text: portLabel(node, port),
                })
              })
            ),
          ]
        )
        card.style.left = node.position.x + 'px'
        card.style.top = node.position.y + 'px'
        layer.appendChild(card)
      })
      renderEdges()
    }

    function anchorOf(node, port) {
      var card = layer.querySelector('.fnode[data-node-id="' + cssId(node.id) + '"]')
      if (!card) return null
      if (!port) return { x: node.position.x, y: node.position.y + 18 }
      var button = card.querySelector('.fport[data-port="' + cssId(port) + '"]')
      if (!button) return null
      return {
        x: node.position.x + card.offsetWidth,
        y: node.position.y + button.offsetTop + button.offsetHeight / 2,
      }
    }

    function cssId(value) {
      return String(value).replace(/["\\]/g, '\\$&')
    }

    function curve(a, b) {
      var dx = Math.max(40, Math.abs(b.x - a.x) / 2)
      return (
        'M' + a.x + ',' + a.y + ' C' + (a.x + dx) + ',' + a.y + ' ' + (b.x - dx) + ',' + b.y + ' ' + b.x + ',' + b.y
      )
    }

    function renderEdges() {
      while (edgesSvg.firstChild) edgesSvg.removeChild(edgesSvg.firstChild)
      graph.edges.forEach(function (edge) {
        var from = find(edge.from)
        var to = find(edge.to)
        if (!from || !to) return
        var a = anchorOf(from, edge.port)
        var b = anchorOf(to, null)
        if (!a || !b) return
        var path = svg('path', {
          d: curve(a, b),
          class: 'canvas-edge',
          'data-edge': edge.from + ':' + edge.port,
          tabindex: 0,
          role: 'button',
          'aria-label': L.edge + ' ' + edge.from + ' → ' + edge.to + ' · ' + L.delete_edge_hint,
        })
        edgesSvg.appendChild(path)
      })
    }

    function renderList() {
      while (nodeList.firstChild) nodeList.removeChild(nodeList.firstChild)
      graph.nodes.forEach(function (node) {
        var own = problemsOf(node.id)
        var branches = portsOf(node).map(function (port) {
          var e = edgeOf(node.id, port)
          return el('li', { dir: 'auto', text: portLabel(node, port) + ' → ' + (e ? e.to : L.nowhere) })
        })
        nodeList.appendChild(
          el('li', { className: own.length ? 'has-problem' : '', 'data-list-node': node.id }, [
            el('button', {
              type: 'button',
              className: 'link',
              'data-select': node.id,
              text: typeLabel(node.type) + ' · ' + node.id,
            }),
            document.createTextNode(' '),
            bidiText('span', null, shorten(summary(node), 80)),
            branches.length ? el('ul', null, branches) : null,
          ])
        )
      })
    }

    function renderProblems() {
      while (problemBox.firstChild) problemBox.removeChild(problemBox.firstChild)
      if (!problems.length) {
        problemBox.appendChild(el('p', { className: 'canvas-ok', text: L.no_problems }))
        return
      }
      problemBox.appendChild(el('p', { text: L.problems_title }))
      problemBox.appendChild(
        el(
          'ul',
          null,
          problems.map(function (p) {
            return el('li', { 'data-canvas-problem': p.code, 'data-problem-node': p.node || '' }, [
              p.node
                ? el('button', { type: 'button', className: 'link', 'data-select': p.node, dir: 'ltr', text: p.node })
                : null,
              el('span', { text: (p.node ? ': ' : '') + (p.text || p.message) }),
            ])
          })
        )
      )
    }

    function applyView() {
      layer.style.transform =
        'translate(' + state.panX + 'px,' + state.panY + 'px) scale(' + state.zoom + ')'
    }

    function renderAll() {
      renderNodes()
      renderList()
      renderProblems()
    }

    // ----------------------------------------------------------------- panel
    /*
     * Which panel field a problem of the server's (its code) belongs to, per
     * node type: the panel shows it under that field, as a form would.
     */
    var FIELD_OF = {
      '*': {
        text_missing: 'text', text_too_long: 'text', variable_invalid: 'variable',
        title_missing: 'title', title_too_long: 'title', details_too_long: 'details',
        timeout_invalid: 'timeout_minutes', sequence_id_missing: 'sequence_id',
        sequence_not_found: 'sequence_id', service_id_missing: 'service_id',
        service_not_found: 'service_id', days_invalid: 'days', minutes_invalid: 'minutes',
        jump_target_missing: 'to', jump_to_itself: 'to', target_invalid: 'target', key_missing: 'key',
        rules_missing: 'rules', rule_invalid: 'rules', match_invalid: 'match', kind_invalid: 'kind',
        choices_missing: 'choices', max_retries_invalid: 'max_retries',
      },
      message: {
        buttons_and_list: 'replies', too_many_buttons: 'replies', button_title_missing: 'replies',
        button_title_too_long: 'replies', choice_id_invalid: 'replies', duplicate_choice_id: 'replies',
        duplicate_title: 'replies', list_empty: 'replies', too_many_rows: 'replies',
        row_title_missing: 'replies', row_title_too_long: 'replies', row_description_too_long: 'replies',
        list_button_missing: 'list_button', list_button_too_long: 'list_button',
        url_invalid: 'url', url_and_choices: 'url', url_title_missing: 'url_title', url_title_too_long: 'url_title',
        media_type_invalid: 'media_type', media_and_choices: 'media_type', media_link_invalid: 'media_link',
        media_filename_too_long: 'media_filename',
      },
      lookup: {
        source_invalid: 'source', source_id_missing: 'source_id', dataset_not_found: 'source_id',
        connector_not_found: 'source_id', limit_invalid: 'limit', query_invalid: 'query',
        params_invalid: 'params', connector_param_missing: 'params', connector_param_unknown: 'params',
        text_missing: 'list_text', text_too_long: 'list_text', list_button_missing: 'list_button',
        list_button_too_long: 'list_button', row_title_missing: 'list_title',
      },
    }
    // The problems of the node in the panel, by field (set by renderPanel).
    var panelProblems = {}

    function problemsByField(node) {
      var byField = {}
      problemsOf(node.id).forEach(function (p) {
        var own = FIELD_OF[node.type] || {}
        var key = own[p.code] || FIELD_OF['*'][p.code]
        if (!key) return
        ;(byField[key] = byField[key] || []).push(p.text || p.message)
      })
      return byField
    }

    /** The messages under a field or row list, tied to its input for screen readers. */
    function errorsFor(key, input) {
      var messages = (key && panelProblems[key]) || []
      if (!messages.length) return null
      var id = 'ce-' + Math.random().toString(36).slice(2, 9)
      if (input) {
        input.setAttribute('aria-invalid', 'true')
        input.setAttribute('aria-describedby', id)
      }
      return el(
        'div',
        { id: id },
        messages.map(function (text) {
          return el('p', { className: 'field-error', 'data-field-error': key, text: text })
        })
      )
    }

    function field(label, input, hint, key) {
      var id = 'cf-' + Math.random().toString(36).slice(2, 9)
      input.id = id
      var hintNode = null
      if (hint) {
        hintNode = bidiText('p', { className: 'hint', id: id + '-hint' }, hint)
        input.setAttribute('aria-describedby', id + '-hint')
      }
      var errors = errorsFor(key, input)
      if (errors && hintNode) input.setAttribute('aria-describedby', errors.id + ' ' + id + '-hint')
      return el('div', { className: 'field' + (errors ? ' has-error' : ''), 'data-panel-field': key || null }, [
        el('label', { for: id, text: label }),
        hintNode,
        input,
        errors,
      ])
    }

    function textInput(value, onInput, attrs) {
      var input = el('input', Object.assign({ type: 'text', dir: 'auto' }, attrs || {}))
      input.value = value === undefined || value === null ? '' : String(value)
      if (input.getAttribute('dir') === 'auto') followDir(input)
      input.addEventListener('input', function () {
        onInput(input.value)
      })
      return input
    }

    function textArea(value, onInput) {
      var input = el('textarea', { rows: 3 })
      input.value = value || ''
      followDir(input)
      input.addEventListener('input', function () {
        onInput(input.value)
      })
      return input
    }

    function numberInput(value, onInput, attrs) {
      var input = el('input', Object.assign({ type: 'number', dir: 'ltr' }, attrs || {}))
      input.value = value === undefined || value === null ? '' : String(value)
      input.addEventListener('input', function () {
        onInput(input.value === '' ? undefined : Number(input.value))
      })
      return input
    }

    function selectInput(options, value, onChange) {
      var input = el(
        'select',
        null,
        options.map(function (o) {
          return el('option', { value: o[0], text: o[1] })
        })
      )
      input.value = value === undefined || value === null ? '' : String(value)
      input.addEventListener('change', function () {
        onChange(input.value)
      })
      return input
    }

    function picker(kind, value, onChange) {
      var options = [['', L.choose]].concat(
        (config.pickers[kind] || []).map(function (p) {
          return [p.id, p.name]
        })
      )
      return selectInput(options, value, onChange)
    }

    function setData(node, key, value, rerenderPanel) {
      if (value === undefined || value === '') delete node.data[key]
      else node.data[key] = value
      changed()
      if (rerenderPanel) renderPanel()
    }

    function smallButton(text, onClick, attrs) {
      var button = el('button', Object.assign({ type: 'button', className: 'button secondary small', text: text }, attrs || {}))
      button.addEventListener('click', onClick)
      return button
    }

    function choiceId(node, title) {
      var base =
        String(title || 'option')
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .replace(/^_|_$/g, '')
          .slice(0, 30) || 'option'
      if (base === 'next' || base === 'fallback') base = 'opt_' + base
      var taken = choicesOf(node).map(function (c) {
        return c.id
      })
      var id = base
      var n = 2
      while (taken.indexOf(id) >= 0) id = base + '_' + n++
      return id
    }

    function messageForm(node, box) {
      var d = node.data
      box.appendChild(field(L.text, textArea(d.text, function (v) { setData(node, 'text', v) }), null, 'text'))
      var mode = Array.isArray(d.buttons) && d.buttons.length ? 'buttons' : d.list ? 'list' : 'none'
      box.appendChild(
        field(
          L.replies,
          selectInput(
            [
              ['none', L.replies_none],
              ['buttons', L.replies_buttons],
              ['list', L.replies_list],
            ],
            mode,
            function (v) {
              delete d.buttons
              delete d.list
              if (v === 'none') delete d.variable
              if (v === 'buttons') d.buttons = [{ id: 'yes', title: L.yes }]
              if (v === 'list') d.list = { button: L.choose, rows: [{ id: 'row_1', title: '' }] }
              if (v !== 'none') {
                delete d.url
                delete d.media
              }
              pruneEdges(node)
              changed()
              renderPanel()
            }
          ),
          null,
          'replies'
        )
      )
      if (mode !== 'none') {
        // The picked button's or row's title is kept under this name (the node's id when empty).
        box.appendChild(
          field(
            L.choice_variable,
            textInput(d.variable, function (v) { setData(node, 'variable', v.trim()) }, { dir: 'ltr', placeholder: node.id, 'data-field': 'variable' }),
            L.choice_variable_hint,
            'variable'
          )
        )
      }
      if (mode === 'buttons') {
        var list = el('fieldset', { className: 'canvas-rows' }, [el('legend', { text: L.buttons_legend })])
        d.buttons.forEach(function (button, i) {
          var title = textInput(button.title, function (v) {
            button.title = v
            changed()
          }, { maxlength: 20, 'data-button-title': i })
          list.appendChild(
            el('div', { className: 'canvas-row' }, [
              field(L.button_title + ' ' + (i + 1), title),
              smallButton(L.remove, function () {
                d.buttons.splice(i, 1)
                if (!d.buttons.length) delete d.buttons
                pruneEdges(node)
                changed()
                renderPanel()
              }),
            ])
          )
        })
        if (d.buttons.length < 3) {
          list.appendChild(
            smallButton(L.add_button, function () {
              d.buttons.push({ id: choiceId(node, 'option_' + (d.buttons.length + 1)), title: '' })
              changed()
              renderPanel()
              var inputs = panel.querySelectorAll('[data-button-title]')
              if (inputs.length) inputs[inputs.length - 1].focus()
            }, { 'data-add-button': true })
          )
        }
        box.appendChild(list)
      } else if (mode === 'list') {
        box.appendChild(field(L.list_button, textInput(d.list.button, function (v) { d.list.button = v; changed() }, { maxlength: 20 }), null, 'list_button'))
        var rows = el('fieldset', { className: 'canvas-rows' }, [el('legend', { text: L.rows_legend })])
        d.list.rows.forEach(function (row, i) {
          rows.appendChild(
            el('div', { className: 'canvas-row' }, [
              field(L.row_title + ' ' + (i + 1), textInput(row.title, function (v) { row.title = v; changed() }, { maxlength: 24 })),
              field(L.row_description, textInput(row.description, function (v) {
                if (v) row.description = v
                else delete row.description
                changed()
              }, { maxlength: 72 })),
              smallButton(L.remove, function () {
                d.list.rows.splice(i, 1)
                pruneEdges(node)
                changed()
                renderPanel()
              }),
            ])
          )
        })
        if (d.list.rows.length < 10) {
          rows.appendChild(
            smallButton(L.add_row, function () {
              d.list.rows.push({ id: choiceId(node, 'row_' + (d.list.rows.length + 1)), title: '' })
              changed()
              renderPanel()
            })
          )
        }
        box.appendChild(rows)
      } else {
        var url = d.url || { title: '', url: '' }
        var setUrl = function () {
          if (url.title || url.url) d.url = url
          else delete d.url
          changed()
        }
        box.appendChild(field(L.url_title, textInput(url.title, function (v) { url.title = v; setUrl() }, { maxlength: 20 }), null, 'url_title'))
        box.appendChild(field(L.url, textInput(url.url, function (v) { url.url = v; setUrl() }, { type: 'url', dir: 'ltr' }), null, 'url'))
        // A picture, video or file with the text as its caption.
        var media = d.media ? { type: d.media.type, link: d.media.link, filename: d.media.filename } : { type: '', link: '' }
        var setMedia = function () {
          if (media.type) {
            d.media = { type: media.type, link: media.link || '' }
            if (media.type === 'document' && media.filename) d.media.filename = media.filename
          } else delete d.media
          changed()
        }
        box.appendChild(
          field(
            L.media_type,
            selectInput(
              [['', L.media_none], ['image', L.media_image], ['video', L.media_video], ['document', L.media_document]],
              media.type,
              function (v) { media.type = v; setMedia(); renderPanel() }
            ),
            null,
            'media_type'
          )
        )
        if (media.type) {
          box.appendChild(field(L.media_link, textInput(media.link, function (v) { media.link = v; setMedia() }, { type: 'url', dir: 'ltr', 'data-field': 'media_link' }), null, 'media_link'))
          if (media.type === 'document') {
            box.appendChild(field(L.media_filename, textInput(media.filename || '', function (v) { media.filename = v.trim(); setMedia() }, { dir: 'ltr', maxlength: 240 }), null, 'media_filename'))
          }
        }
      }
    }

    function questionForm(node, box) {
      var d = node.data
      box.appendChild(field(L.question, textArea(d.text, function (v) { setData(node, 'text', v) }), null, 'text'))
      box.appendChild(
        field(
          L.kind,
          selectInput(
            config.kinds.map(function (k) {
              return [k.kind, k.label]
            }),
            d.kind,
            function (v) {
              setData(node, 'kind', v, true)
            }
          ),
          null,
          'kind'
        )
      )
      if (d.kind === 'choice') {
        box.appendChild(
          field(L.choices, textInput((d.choices || []).join(', '), function (v) {
            setData(node, 'choices', v.split(',').map(function (s) { return s.trim() }).filter(Boolean))
          }), L.choices_hint, 'choices')
        )
      }
      if (d.kind === 'number') {
        ;['min', 'max'].forEach(function (key) {
          box.appendChild(field(L['number_' + key], numberInput(d[key], function (v) { setData(node, key, v) }), null, key))
        })
      }
      if (d.kind === 'text') {
        box.appendChild(field(L.pattern, textInput(d.pattern, function (v) { setData(node, 'pattern', v) }, { dir: 'ltr', 'data-field': 'pattern' }), L.pattern_hint, 'pattern'))
      }
      box.appendChild(field(L.variable, textInput(d.variable, function (v) { setData(node, 'variable', v.trim()) }, { dir: 'ltr', 'data-field': 'variable' }), L.variable_hint, 'variable'))
      box.appendChild(field(L.contact_field, textInput(d.contact_field, function (v) { setData(node, 'contact_field', v.trim()) }, { dir: 'ltr' })))
      box.appendChild(field(L.retry_text, textInput(d.retry_text, function (v) { setData(node, 'retry_text', v) })))
      box.appendChild(field(L.max_retries, numberInput(d.max_retries, function (v) { setData(node, 'max_retries', v) }, { min: 0, max: 5 }), null, 'max_retries'))
    }

    function conditionForm(node, box) {
      var d = node.data
      if (!Array.isArray(d.rules)) d.rules = []
      box.appendChild(field(L.match, selectInput([['all', L.match_all], ['any', L.match_any]], d.match || 'all', function (v) { setData(node, 'match', v) }), null, 'match'))
      var rules = el('fieldset', { className: 'canvas-rows' }, [el('legend', { text: L.rules_legend }), errorsFor('rules')])
      d.rules.forEach(function (rule, i) {
        rules.appendChild(
          el('div', { className: 'canvas-row' }, [
            field(L.rule_on, selectInput([['variable', L.on_variable], ['field', L.on_field], ['label', L.on_label], ['consent', L.on_consent]], rule.on, function (v) { rule.on = v; changed() })),
            field(L.rule_key, textInput(rule.key, function (v) { rule.key = v; changed() }, { dir: 'ltr', 'data-rule-key': i })),
            field(L.rule_op, selectInput([['eq', '='], ['neq', '≠'], ['contains', L.op_contains], ['exists', L.op_exists], ['not_exists', L.op_not_exists], ['gt', '>'], ['lt', '<']], rule.op, function (v) { rule.op = v; changed() })),
            field(L.rule_value, textInput(rule.value, function (v) { rule.value = v; changed() }, { 'data-rule-value': i })),
            smallButton(L.remove, function () { d.rules.splice(i, 1); changed(); renderPanel() }),
          ])
        )
      })
      rules.appendChild(smallButton(L.add_rule, function () {
        d.rules.push({ on: 'variable', key: '', op: 'eq', value: '' })
        changed()
        renderPanel()
      }))
      box.appendChild(rules)
    }

    // The rows of a lookup's connector parameters being edited, per node's
    // data: a row with no name yet, or a name given twice, lives only here.
    var paramDrafts = new WeakMap()

    function paramsObject(rows) {
      var params = {}
      rows.forEach(function (row) {
        var name = row.name.trim()
        if (name && !Object.prototype.hasOwnProperty.call(params, name)) params[name] = row.value
      })
      return params
    }

    function paramRowsOf(d) {
      var params = d.params && typeof d.params === 'object' && !Array.isArray(d.params) ? d.params : {}
      var draft = paramDrafts.get(d)
      if (draft && JSON.stringify(paramsObject(draft)) === JSON.stringify(params)) return draft
      var rows = Object.keys(params).map(function (name) {
        return { name: name, value: typeof params[name] === 'string' ? params[name] : String(params[name]) }
      })
      paramDrafts.set(d, rows)
      return rows
    }

    /** What is wrong with a row before the server sees it: no name, or a name twice. */
    function paramRowProblem(rows, row) {
      var name = row.name.trim()
      if (!name) return row.value ? L.param_name_missing : ''
      var first = rows.find(function (r) {
        return r.name.trim() === name
      })
      return first !== row ? L.param_duplicate : ''
    }

    function paramsForm(node, box) {
      var d = node.data
      var connector = (config.pickers.connector || []).find(function (c) {
        return c.id === d.source_id
      })
      var declared = (connector && connector.parameters) || []
      var rows = paramRowsOf(d)
      var write = function () {
        var params = paramsObject(rows)
        if (Object.keys(params).length) d.params = params
        else delete d.params
        changed()
      }
      var check = function () {
        rows.forEach(function (row, i) {
          var message = set.querySelector('[data-param-error="' + i + '"]')
          var input = set.querySelector('[data-param-name="' + i + '"]')
          if (!message || !input) return
          var problem = paramRowProblem(rows, row)
          message.textContent = problem
          message.hidden = !problem
          if (problem) input.setAttribute('aria-invalid', 'true')
          else input.removeAttribute('aria-invalid')
        })
      }
      var listId = 'cp-' + Math.random().toString(36).slice(2, 9)
      var set = el('fieldset', { className: 'canvas-rows', 'data-params': true }, [
        el('legend', { text: L.params_legend }),
        bidiText('p', { className: 'hint' }, L.params_hint),
        declared.length
          ? el('p', {
              className: 'hint',
              'data-params-declared': true,
              text:
                L.params_declared +
                ' ' +
                declared
                  .map(function (p) {
                    return p.name + (p.required ? ' (' + L.param_required + ')' : '')
                  })
                  .join(pageDir() === 'rtl' ? '، ' : ', '),
            })
          : null,
        errorsFor('params'),
        el(
          'datalist',
          { id: listId },
          declared.map(function (p) {
            return el('option', { value: p.name })
          })
        ),
      ])
      rows.forEach(function (row, i) {
        var errorId = 'cpe-' + Math.random().toString(36).slice(2, 9)
        var nameInput = textInput(row.name, function (v) {
          row.name = v
          write()
          check()
        }, { dir: 'ltr', list: listId, autocomplete: 'off', 'data-param-name': i, 'aria-describedby': errorId })
        var valueInput = textInput(row.value, function (v) {
          row.value = v
          write()
          check()
        }, { 'data-param-value': i })
        set.appendChild(
          el('div', { className: 'canvas-row canvas-param', 'data-param-row': i }, [
            field(L.param_name + ' ' + (i + 1), nameInput),
            field(L.param_value, valueInput),
            el('p', { className: 'field-error', id: errorId, 'data-param-error': i, hidden: true }),
            smallButton(L.remove, function () {
              rows.splice(i, 1)
              write()
              renderPanel()
            }, { 'data-remove-param': i, 'aria-label': L.remove + ': ' + L.param_name + ' ' + (i + 1) }),
          ])
        )
      })
      check()
      set.appendChild(
        smallButton(L.add_param, function () {
          rows.push({ name: '', value: '' })
          renderPanel()
          var inputs = panel.querySelectorAll('[data-param-name]')
          if (inputs.length) inputs[inputs.length - 1].focus()
        }, { 'data-add-param': true })
      )
      box.appendChild(set)
    }

    function lookupForm(node, box, line, number) {
      var d = node.data
      box.appendChild(field(L.source, selectInput([['dataset', L.source_dataset], ['connector', L.source_connector]], d.source, function (v) {
        d.source = v
        d.source_id = ''
        // A dataset is searched with a query, a connector called with parameters.
        if (v === 'connector') delete d.query
        else delete d.params
        changed()
        renderPanel()
      }), null, 'source'))
      var connector = d.source === 'connector'
      box.appendChild(
        field(
          connector ? L.source_connector : L.source_dataset,
          picker(connector ? 'connector' : 'dataset', d.source_id, function (v) {
            d.source_id = v
            if (connector) {
              // The chosen connector's required parameters are offered as rows to fill.
              var chosen = (config.pickers.connector || []).find(function (c) {
                return c.id === v
              })
              var rows = paramRowsOf(d)
              ;((chosen && chosen.parameters) || []).forEach(function (p) {
                var given = rows.some(function (r) {
                  return r.name.trim() === p.name
                })
                if (p.required && !given) rows.push({ name: p.name, value: '' })
              })
              var params = paramsObject(rows)
              if (Object.keys(params).length) d.params = params
            }
            changed()
            if (connector) renderPanel()
          }),
          null,
          'source_id'
        )
      )
      if (connector) paramsForm(node, box)
      else line('query', L.query, { 'data-field': 'query' }, L.query_hint)
      line('variable', L.results_variable, { dir: 'ltr', 'data-field': 'variable' }, L.results_variable_hint)
      number('limit', L.limit, { min: 1, max: 10 })
      var list = d.list || null
      var toggle = el('input', { type: 'checkbox', 'data-field': 'as_list' })
      toggle.checked = !!list
      toggle.addEventListener('change', function () {
        if (toggle.checked) d.list = { text: '', button: '', title: '{{summary}}' }
        else delete d.list
        changed()
        renderPanel()
      })
      box.appendChild(el('div', { className: 'field checkbox' }, [el('label', null, [toggle, document.createTextNode(' ' + L.as_list)])]))
      if (list) {
        ;[['text', L.list_text, 'list_text'], ['button', L.list_button, 'list_button'], ['title', L.list_title_field, 'list_title'], ['description', L.list_description, null]].forEach(function (item) {
          box.appendChild(field(item[1], textInput(list[item[0]], function (v) {
            if (v || item[0] !== 'description') list[item[0]] = v
            else delete list.description
            changed()
          }), null, item[2]))
        })
      }
    }

    function nodeForm(node, box) {
      var d = node.data
      var text = function (key, label) {
        box.appendChild(field(label, textArea(d[key], function (v) { setData(node, key, v) }), null, key))
      }
      var line = function (key, label, attrs, hint) {
        box.appendChild(field(label, textInput(d[key], function (v) { setData(node, key, v) }, attrs), hint, key))
      }
      var number = function (key, label, attrs) {
        box.appendChild(field(label, numberInput(d[key], function (v) { setData(node, key, v) }, attrs), null, key))
      }
      switch (node.type) {
        case 'message':
          return messageForm(node, box)
        case 'question':
          return questionForm(node, box)
        case 'condition':
          return conditionForm(node, box)
        case 'set':
          box.appendChild(field(L.set_target, selectInput([['variable', L.on_variable], ['field', L.on_field], ['label_add', L.label_add], ['label_remove', L.label_remove]], d.target, function (v) { setData(node, 'target', v) }), null, 'target'))
          line('key', L.set_key, { dir: 'ltr', 'data-field': 'key' })
          line('value', L.set_value, { 'data-field': 'value' })
          return
        case 'wait':
          return number('minutes', L.minutes, { min: 1, max: 43200 })
        case 'jump':
          box.appendChild(field(L.jump_to, selectInput([['', L.choose]].concat(graph.nodes.filter(function (n) { return n.id !== node.id }).map(function (n) { return [n.id, n.id] })), d.to, function (v) { setData(node, 'to', v) }), null, 'to'))
          return
        case 'handoff':
        case 'end':
          return text('text', L.text_optional)
        case 'lookup':
          return lookupForm(node, box, line, number)
        case 'task':
          line('title', L.task_title)
          text('details', L.task_details)
          number('timeout_minutes', L.timeout_minutes, { min: 1 })
          line('variable', L.variable, { dir: 'ltr' })
          text('text', L.task_wait_text)
          return
        case 'enroll':
          box.appendChild(field(L.sequence, picker('sequence', d.sequence_id, function (v) { node.data.sequence_id = v; changed() }), null, 'sequence_id'))
          return
        case 'booking':
          box.appendChild(field(L.service, picker('service', d.service_id, function (v) { node.data.service_id = v; changed() }), null, 'service_id'))
          number('days', L.days, { min: 1, max: 31 })
          text('text', L.text_optional)
          line('variable', L.variable, { dir: 'ltr' })
          text('taken_text', L.taken_text)
          text('confirm_text', L.confirm_text)
          return
      }
    }

    function branchesForm(node, box) {
      var ports = portsOf(node)
      if (!ports.length) return
      var set = el('fieldset', { className: 'canvas-branches' }, [el('legend', { text: L.branches })])
      ports.forEach(function (port) {
        var current = edgeOf(node.id, port)
        var options = [['', L.nowhere]].concat(
          graph.nodes
            .filter(function (n) {
              return n.id !== node.id
            })
            .map(function (n) {
              return [n.id, n.id + ' · ' + typeLabel(n.type)]
            })
        )
        var input = selectInput(options, current ? current.to : '', function (v) {
          connect(node.id, port, v || null)
        })
        input.setAttribute('data-branch', port)
        set.appendChild(field(portLabel(node, port), input))
      })
      box.appendChild(set)
    }

    /** Where the focus was in the panel, to put it back after a redraw (an autosave redraws it). */
    function panelFocus() {
      var active = document.activeElement
      if (!active || !panel.contains(active)) return null
      var all = Array.prototype.slice.call(panel.querySelectorAll('input, textarea, select, button'))
      var at = { index: all.indexOf(active), tag: active.tagName }
      try {
        at.start = active.selectionStart
        at.end = active.selectionEnd
      } catch (e) {
        // Not every input has a selection (number, checkbox).
      }
      return at
    }

    function restorePanelFocus(at) {
      if (!at || at.index < 0) return
      var again = panel.querySelectorAll('input, textarea, select, button')[at.index]
      if (!again || again.tagName !== at.tag) return
      again.focus()
      if (typeof at.start === 'number') {
        try {
          again.setSelectionRange(at.start, at.end)
        } catch (e) {
          // Not every input has a selection (number, checkbox).
        }
      }
    }

    function renderPanel() {
      var focusAt = panelFocus()
      renderPanelContent()
      restorePanelFocus(focusAt)
    }

    function renderPanelContent() {
      while (panel.firstChild) panel.removeChild(panel.firstChild)
      var node = find(state.selected)
      if (!node) {
        panel.appendChild(el('p', { className: 'hint', text: L.panel_empty }))
        return
      }
      if (!node.data || typeof node.data !== 'object') node.data = {}
      panelProblems = problemsByField(node)
      panel.appendChild(el('h3', { text: typeLabel(node.type) }))
      var own = problemsOf(node.id)
      if (own.length) {
        panel.appendChild(
          el(
            'ul',
            { className: 'alert error canvas-node-problems', role: 'alert' },
            own.map(function (p) {
              return el('li', { text: p.text || p.message })
            })
          )
        )
      }
      var idInput = textInput(node.id, function () {}, { dir: 'ltr', 'data-field': 'id' })
      idInput.addEventListener('change', function () {
        if (!renameNode(node, idInput.value.trim())) {
          idInput.setAttribute('aria-invalid', 'true')
          say(L.id_taken)
        } else idInput.removeAttribute('aria-invalid')
      })
      panel.appendChild(field(L.node_id, idInput, L.node_id_hint))
      var box = el('div', { className: 'canvas-form', 'data-node-form': node.type })
      nodeForm(node, box)
      panel.appendChild(box)
      branchesForm(node, panel)
      panel.appendChild(
        el('div', { className: 'canvas-panel-actions' }, [
          smallButton(L.delete_node, function () {
            removeNode(node.id)
          }, { className: 'button danger small', 'data-delete-node': true }),
        ])
      )
    }

    function select(id, focusPanel) {
      state.selected = id
      renderNodes()
      renderPanel()
      if (focusPanel) {
        var first = panel.querySelector('input:not([data-field="id"]), textarea, select')
        if (first) first.focus()
      }
    }

    // ------------------------------------------------------------------ save
    var timer = null
    function changed() {
      state.dirty = true
      renderNodes()
      renderList()
      say(L.unsaved)
      clearTimeout(timer)
      timer = setTimeout(save, 1500)
    }

    function save() {
      clearTimeout(timer)
      if (saving) return saving.then(function () { return state.dirty ? save() : null })
      state.dirty = false
      say(L.saving)
      saving = fetch(config.saveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRF-TOKEN': token,
          'X-Requested-With': 'XMLHttpRequest',
        },
        body: JSON.stringify({ graph: graph }),
      })
        .then(function (response) {
          return response.json().then(function (body) {
            problems = body.problems || []
            renderAll()
            renderPanel()
            root.setAttribute('data-saved', response.ok ? 'ok' : 'refused')
            say(response.ok ? (problems.length ? L.saved_with_problems : L.saved) : L.refused)
          })
        })
        .catch(function () {
          state.dirty = true
          say(L.save_failed)
        })
        .then(function () {
          saving = null
        })
      return saving
    }

    // --------------------------------------------------------------- events
    addButton.addEventListener('click', function () {
      addNode(typeSelect.value)
    })
    saveButton.addEventListener('click', function () {
      save()
    })
    function zoomBy(factor) {
      var rect = viewport.getBoundingClientRect()
      var cx = rect.width / 2
      var cy = rect.height / 2
      var next = Math.min(2, Math.max(0.3, state.zoom * factor))
      state.panX = cx - ((cx - state.panX) * next) / state.zoom
      state.panY = cy - ((cy - state.panY) * next) / state.zoom
      state.zoom = next
      applyView()
    }
    zoomIn.addEventListener('click', function () {
      zoomBy(1.2)
    })
    zoomOut.addEventListener('click', function () {
      zoomBy(1 / 1.2)
    })
    function fit() {
      if (!graph.nodes.length) {
        state.zoom = 1
        state.panX = 0
        state.panY = 0
        return applyView()
      }
      var xs = graph.nodes.map(function (n) { return n.position.x })
      var ys = graph.nodes.map(function (n) { return n.position.y })
      var minX = Math.min.apply(null, xs)
      var minY = Math.min.apply(null, ys)
      var width = Math.max.apply(null, xs) - minX + NODE_W + 40
      var height = Math.max.apply(null, ys) - minY + 160
      var rect = viewport.getBoundingClientRect()
      state.zoom = Math.min(1, Math.max(0.3, Math.min(rect.width / width, rect.height / height)))
      state.panX = 20 - minX * state.zoom
      state.panY = 20 - minY * state.zoom
      applyView()
    }
    zoomFit.addEventListener('click', fit)

    viewport.addEventListener(
      'wheel',
      function (event) {
        if (!event.ctrlKey && !event.metaKey) return
        event.preventDefault()
        zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1)
      },
      { passive: false }
    )

    function toCanvas(event) {
      var rect = viewport.getBoundingClientRect()
      return {
        x: (event.clientX - rect.left - state.panX) / state.zoom,
        y: (event.clientY - rect.top - state.panY) / state.zoom,
      }
    }

    var drag = null
    viewport.addEventListener('pointerdown', function (event) {
      if (event.button !== 0) return
      var port = event.target.closest('.fport')
      var card = event.target.closest('.fnode')
      if (port && card) {
        event.preventDefault()
        var node = find(card.getAttribute('data-node-id'))
        var start = anchorOf(node, port.getAttribute('data-port'))
        var temp = svg('path', { class: 'canvas-edge is-drawing', d: curve(start, start) })
        edgesSvg.appendChild(temp)
        drag = { kind: 'connect', node: node, port: port.getAttribute('data-port'), start: start, temp: temp, moved: false }
      } else if (card) {
        var n = find(card.getAttribute('data-node-id'))
        drag = {
          kind: 'move',
          node: n,
          card: card,
          from: { x: event.clientX, y: event.clientY },
          origin: { x: n.position.x, y: n.position.y },
          moved: false,
        }
      } else if (!event.target.closest('.canvas-edge')) {
        drag = { kind: 'pan', from: { x: event.clientX, y: event.clientY }, origin: { x: state.panX, y: state.panY } }
      }
      if (drag) viewport.setPointerCapture(event.pointerId)
    })
    viewport.addEventListener('pointermove', function (event) {
      if (!drag) return
      if (drag.kind === 'connect') {
        drag.moved = true
        drag.temp.setAttribute('d', curve(drag.start, toCanvas(event)))
      } else if (drag.kind === 'move') {
        var dx = (event.clientX - drag.from.x) / state.zoom
        var dy = (event.clientY - drag.from.y) / state.zoom
        if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return
        drag.moved = true
        drag.node.position.x = Math.round(drag.origin.x + dx)
        drag.node.position.y = Math.round(drag.origin.y + dy)
        drag.card.style.left = drag.node.position.x + 'px'
        drag.card.style.top = drag.node.position.y + 'px'
        renderEdges()
      } else {
        state.panX = drag.origin.x + event.clientX - drag.from.x
        state.panY = drag.origin.y + event.clientY - drag.from.y
        applyView()
      }
    })
    viewport.addEventListener('pointerup', function (event) {
      var done = drag
      drag = null
      if (!done) return
      if (done.kind === 'connect') {
        done.temp.remove()
        var under = document.elementFromPoint(event.clientX, event.clientY)
        var target = under && under.closest('.fnode')
        if (target && target.getAttribute('data-node-id') !== done.node.id) {
          connect(done.node.id, done.port, target.getAttribute('data-node-id'))
          say(L.connected)
        } else if (!done.moved) {
          startConnecting(done.node.id, done.port)
        }
      } else if (done.kind === 'move') {
        if (done.moved) changed()
        else select(done.node.id, false)
      }
    })

    function startConnecting(nodeId, port) {
      state.connecting = { node: nodeId, port: port }
      root.classList.add('is-connecting')
      say(L.connect_hint)
    }

    function finishConnecting(targetId) {
      var c = state.connecting
      state.connecting = null
      root.classList.remove('is-connecting')
      if (c && targetId && targetId !== c.node) {
        connect(c.node, c.port, targetId)
        say(L.connected)
        var back = layer.querySelector('.fnode[data-node-id="' + cssId(targetId) + '"]')
        if (back) back.focus()
      }
    }

    viewport.addEventListener('click', function (event) {
      var port = event.target.closest('.fport')
      var card = event.target.closest('.fnode')
      // A click from the keyboard (detail 0) on a port starts connecting.
      if (port && card && event.detail === 0) {
        startConnecting(card.getAttribute('data-node-id'), port.getAttribute('data-port'))
      }
    })

    viewport.addEventListener('keydown', function (event) {
      var edge = event.target.closest && event.target.closest('.canvas-edge')
      if (edge && (event.key === 'Delete' || event.key === 'Backspace')) {
        event.preventDefault()
        var parts = edge.getAttribute('data-edge').split(':')
        connect(parts[0], parts.slice(1).join(':'), null)
        say(L.edge_deleted)
        return
      }
      var card = event.target.closest && event.target.closest('.fnode')
      if (!card) return
      var id = card.getAttribute('data-node-id')
      var node = find(id)
      if (event.key === 'Escape' && state.connecting) {
        state.connecting = null
        root.classList.remove('is-connecting')
        say(L.connect_cancelled)
      } else if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault()
        if (event.target.classList.contains('fport')) {
          startConnecting(id, event.target.getAttribute('data-port'))
        } else if (state.connecting) {
          finishConnecting(id)
        } else {
          select(id, true)
        }
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault()
        removeNode(id)
      } else if (event.key === 'c' || event.key === 'C') {
        // Focus this node's first port to connect it.
        var first = card.querySelector('.fport')
        if (first) {
          first.tabIndex = 0
          first.focus()
        }
      } else if (/^Arrow/.test(event.key)) {
        event.preventDefault()
        var step = event.shiftKey ? 100 : 20
        if (event.key === 'ArrowLeft') node.position.x -= step
        if (event.key === 'ArrowRight') node.position.x += step
        if (event.key === 'ArrowUp') node.position.y -= step
        if (event.key === 'ArrowDown') node.position.y += step
        changed()
        var again = layer.querySelector('.fnode[data-node-id="' + cssId(id) + '"]')
        if (again) again.focus()
      }
    })

    viewport.addEventListener('dblclick', function (event) {
      var edge = event.target.closest('.canvas-edge')
      if (!edge) return
      var parts = edge.getAttribute('data-edge').split(':')
      connect(parts[0], parts.slice(1).join(':'), null)
      say(L.edge_deleted)
    })

    root.addEventListener('click', function (event) {
      var button = event.target.closest && event.target.closest('[data-select]')
      if (!button) return
      var id = button.getAttribute('data-select')
      select(id, true)
      var card = layer.querySelector('.fnode[data-node-id="' + cssId(id) + '"]')
      if (card && card.scrollIntoView) card.scrollIntoView({ block: 'nearest', inline: 'nearest' })
    })

    // Publishing (and trying) uses the saved draft: save what changed first.
    document.querySelectorAll('[data-publish-form], [data-try-form]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        if (!state.dirty && !saving) return
        event.preventDefault()
        Promise.resolve(save()).then(function () {
          form.submit()
        })
      })
    })

    renderAll()
    renderPanel()
    fit()
  }

  document.addEventListener('alpine:init', function () {
    window.Alpine.data('flowCanvas', function () {
      return {
        init: function () {
          mount(this.$root)
        },
      }
    })
  })
})()
