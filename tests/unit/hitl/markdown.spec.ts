import { test } from '@japa/runner'
import { renderMarkdown } from '#modules/hitl/services/markdown'

test.group('Task markdown', () => {
  test('renders the subset and escapes any HTML a workflow sends', ({ assert }) => {
    const html = renderMarkdown(
      '# Quote\n\nOmar asked about **renewal** and *price* `now`.\n\n- one\n- two\n\n<script>alert(1)</script> [site](https://a.example) [bad](javascript:alert(1))'
    )
    assert.include(html, '<h3>Quote</h3>')
    assert.include(html, '<strong>renewal</strong>')
    assert.include(html, '<em>price</em>')
    assert.include(html, '<code>now</code>')
    assert.include(html, '<ul><li>one</li><li>two</li></ul>')
    assert.include(html, '&lt;script&gt;alert(1)&lt;/script&gt;')
    assert.include(
      html,
      '<a href="https://a.example" rel="noopener noreferrer nofollow" target="_blank">site</a>'
    )
    assert.notInclude(html, 'href="javascript')
  })
})
