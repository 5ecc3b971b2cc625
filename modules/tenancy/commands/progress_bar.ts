/**
 * A one-line progress bar on stderr, redrawn in place on a terminal and
 * printed every tenth of the way otherwise (CI logs, pipes), so stdout stays
 * free for --json output.
 */
export class ProgressBar {
  #done = 0
  #failed = 0
  #lastDecile = -1
  readonly #tty = Boolean(process.stderr.isTTY)

  constructor(
    private total: number,
    private label: string
  ) {}

  tick(failed = false) {
    this.#done++
    if (failed) this.#failed++
    this.#render()
  }

  finish() {
    if (this.#tty) process.stderr.write('\n')
  }

  #render() {
    const ratio = this.total === 0 ? 1 : this.#done / this.total
    const line = `${this.#bar(ratio)} ${this.#done}/${this.total} ${this.label}${
      this.#failed ? `, ${this.#failed} failed` : ''
    }`
    if (this.#tty) {
      process.stderr.write(`\r${line}\u001b[K`)
      return
    }
    const decile = Math.floor(ratio * 10)
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile
      process.stderr.write(`${line}\n`)
    }
  }

  #bar(ratio: number) {
    const width = 30
    const filled = Math.round(ratio * width)
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`
  }
}
