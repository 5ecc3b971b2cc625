import { chromium } from 'playwright-core'
const [src, out, x, y, w, h] = process.argv.slice(2)
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' })
const p = await b.newPage({ viewport: { width: +w, height: +h } })
await p.goto('file://' + src)
await p.evaluate(([x, y]) => { const i = document.querySelector('img'); i.removeAttribute('class'); document.body.innerHTML=''; const n = new Image(); n.src = i.src; n.style.cssText = `position:absolute;left:${-x}px;top:${-y}px;max-width:none;width:${i.naturalWidth}px;height:${i.naturalHeight}px`; document.body.style.margin='0'; document.body.appendChild(n) }, [+x, +y])
await p.waitForTimeout(300)
await p.screenshot({ path: out })
await b.close()
