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
            el('p', { className: 'fnode-text', dir: 'auto', text: summary(node).slice(0, 90) }),
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
            el('span', { dir: 'auto', text: ' ' + summary(node).slice(0, 80) }),
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
    function field(label, input, hint) {
      var id = 'cf-' + Math.random().toString(36).slice(2, 9)
      input.id = id
      return el('div', { className: 'field' }, [
        el('label', { for: id, text: label }),
        hint ? el('p', { className: 'hint', text: hint }) : null,
        input,
      ])
    }

    function textInput(value, onInput, attrs) {
      var input = el('input', Object.assign({ type: 'text', dir: 'auto' }, attrs || {}))
      input.value = value === undefined || value === null ? '' : String(value)
      input.addEventListener('input', function () {
        onInput(input.value)
      })
      return input
    }

    function textArea(value, onInput) {
      var input = el('textarea', { rows: 3, dir: 'auto' })
      input.value = value || ''
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
      box.appendChild(field(L.text, textArea(d.text, function (v) { setData(node, 'text', v) })))
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
          )
        )
      )
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
        box.appendChild(field(L.list_button, textInput(d.list.button, function (v) { d.list.button = v; changed() }, { maxlength: 20 })))
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
        box.appendChild(field(L.url_title, textInput(url.title, function (v) { url.title = v; setUrl() }, { maxlength: 20 })))
        box.appendChild(field(L.url, textInput(url.url, function (v) { url.url = v; setUrl() }, { type: 'url', dir: 'ltr' })))
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
            )
          )
        )
        if (media.type) {
          box.appendChild(field(L.media_link, textInput(media.link, function (v) { media.link = v; setMedia() }, { type: 'url', dir: 'ltr', 'data-field': 'media_link' })))
          if (media.type === 'document') {
            box.appendChild(field(L.media_filename, textInput(media.filename || '', function (v) { media.filename = v.trim(); setMedia() }, { dir: 'ltr', maxlength: 240 })))
          }
        }
      }
    }

    function questionForm(node, box) {
      var d = node.data
      box.appendChild(field(L.question, textArea(d.text, function (v) { setData(node, 'text', v) })))
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
          )
        )
      )
      if (d.kind === 'choice') {
        box.appendChild(
          field(L.choices, textInput((d.choices || []).join(', '), function (v) {
            setData(node, 'choices', v.split(',').map(function (s) { return s.trim() }).filter(Boolean))
          }), L.choices_hint)
        )
      }
      box.appendChild(field(L.variable, textInput(d.variable, function (v) { setData(node, 'variable', v.trim()) }, { dir: 'ltr', 'data-field': 'variable' }), L.variable_hint))
      box.appendChild(field(L.contact_field, textInput(d.contact_field, function (v) { setData(node, 'contact_field', v.trim()) }, { dir: 'ltr' })))
      box.appendChild(field(L.retry_text, textInput(d.retry_text, function (v) { setData(node, 'retry_text', v) })))
      box.appendChild(field(L.max_retries, numberInput(d.max_retries, function (v) { setData(node, 'max_retries', v) }, { min: 0, max: 5 })))
    }

    function conditionForm(node, box) {
      var d = node.data
      if (!Array.isArray(d.rules)) d.rules = []
      box.appendChild(field(L.match, selectInput([['all', L.match_all], ['any', L.match_any]], d.match || 'all', function (v) { setData(node, 'match', v) })))
      var rules = el('fieldset', { className: 'canvas-rows' }, [el('legend', { text: L.rules_legend })])
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

    function nodeForm(node, box) {
      var d = node.data
      var text = function (key, label) {
        box.appendChild(field(label, textArea(d[key], function (v) { setData(node, key, v) })))
      }
      var line = function (key, label, attrs) {
        box.appendChild(field(label, textInput(d[key], function (v) { setData(node, key, v) }, attrs)))
      }
      var number = function (key, label, attrs) {
        box.appendChild(field(label, numberInput(d[key], function (v) { setData(node, key, v) }, attrs)))
      }
      switch (node.type) {
        case 'message':
          return messageForm(node, box)
        case 'question':
          return questionForm(node, box)
        case 'condition':
          return conditionForm(node, box)
        case 'set':
          box.appendChild(field(L.set_target, selectInput([['variable', L.on_variable], ['field', L.on_field], ['label_add', L.label_add], ['label_remove', L.label_remove]], d.target, function (v) { setData(node, 'target', v) })))
          line('key', L.set_key, { dir: 'ltr', 'data-field': 'key' })
          line('value', L.set_value, { 'data-field': 'value' })
          return
        case 'wait':
          return number('minutes', L.minutes, { min: 1, max: 43200 })
        case 'jump':
          box.appendChild(field(L.jump_to, selectInput([['', L.choose]].concat(graph.nodes.filter(function (n) { return n.id !== node.id }).map(function (n) { return [n.id, n.id] })), d.to, function (v) { setData(node, 'to', v) })))
          return
        case 'handoff':
        case 'end':
          return text('text', L.text_optional)
        case 'lookup':
          box.appendChild(field(L.source, selectInput([['dataset', L.source_dataset], ['connector', L.source_connector]], d.source, function (v) {
            node.data.source = v
            node.data.source_id = ''
            changed()
            renderPanel()
          })))
          box.appendChild(field(d.source === 'connector' ? L.source_connector : L.source_dataset, picker(d.source === 'connector' ? 'connector' : 'dataset', d.source_id, function (v) { node.data.source_id = v; changed() })))
          line('query', L.query)
          line('variable', L.variable, { dir: 'ltr' })
          number('limit', L.limit, { min: 1, max: 10 })
          var list = d.list || null
          var toggle = el('input', { type: 'checkbox' })
          toggle.checked = !!list
          toggle.addEventListener('change', function () {
            if (toggle.checked) d.list = { text: '', button: '', title: 'title' }
            else delete d.list
            changed()
            renderPanel()
          })
          box.appendChild(el('div', { className: 'field checkbox' }, [el('label', null, [toggle, document.createTextNode(' ' + L.as_list)])]))
          if (list) {
            ;[['text', L.list_text], ['button', L.list_button], ['title', L.list_title_field], ['description', L.list_description]].forEach(function (pair) {
              box.appendChild(field(pair[1], textInput(list[pair[0]], function (v) {
                if (v || pair[0] !== 'description') list[pair[0]] = v
                else delete list.description
                changed()
              })))
            })
          }
          return
        case 'task':
          line('title', L.task_title)
          text('details', L.task_details)
          number('timeout_minutes', L.timeout_minutes, { min: 1 })
          line('variable', L.variable, { dir: 'ltr' })
          return
        case 'enroll':
          box.appendChild(field(L.sequence, picker('sequence', d.sequence_id, function (v) { node.data.sequence_id = v; changed() })))
          return
        case 'booking':
          box.appendChild(field(L.service, picker('service', d.service_id, function (v) { node.data.service_id = v; changed() })))
          number('days', L.days, { min: 1, max: 60 })
          text('text', L.text_optional)
          line('variable', L.variable, { dir: 'ltr' })
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

    function renderPanel() {
      while (panel.firstChild) panel.removeChild(panel.firstChild)
      var node = find(state.selected)
      if (!node) {
        panel.appendChild(el('p', { className: 'hint', text: L.panel_empty }))
        return
      }
      if (!node.data || typeof node.data !== 'object') node.data = {}
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
