import { test } from '@japa/runner'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/*
| Edge reads a tag (@if, @each, @end…) only at the start of a line: one
| written after text on the same line is printed as it is ("2 nudges@if(rule.label)
| · proposal@end" reached a page). Every view's tags start their line.
*/

const TAG = /@(if|elseif|else|each|end|let|include|!?component|!?ui\.[a-z]+)\b/

function edgeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : edgeFiles(path)
    return entry.name.endsWith('.edge') ? [path] : []
  })
}

test.group('Edge views', () => {
  test('no tag follows text on its line (Edge would print it)', ({ assert }) => {
    const misplaced: string[] = []
    for (const file of [...edgeFiles('modules'), ...edgeFiles('resources/views')]) {
      let inComment = false
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (line.includes('{{--')) inComment = true
          const comment = inComment
          if (line.includes('--}}')) inComment = false
          if (comment) return
          // Text inside {{ }} is JavaScript, not markup: drop it before looking.
          const markup = line.replace(/\{\{.*?\}\}/g, '')
          const at = markup.search(TAG)
          if (at > 0 && markup.slice(0, at).trim() !== '') {
            misplaced.push(`${file}:${index + 1}: ${line.trim().slice(0, 120)}`)
          }
        })
    }
    assert.deepEqual(misplaced, [])
  })
})
