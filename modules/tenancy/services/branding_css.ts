/**
 * The colour a workspace without branding uses: the product's own.
 */
export const DEFAULT_BRAND_COLOR = '#0f766e'
const LIGHT_INK = '#ffffff'
const DARK_INK = '#14213d'

export function isHexColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value)
}

/**
 * Text on the brand colour: white or the product's dark ink, whichever
 * contrasts more (WCAG relative luminance), so a pale yellow brand still
 * gets readable buttons.
 */
export function inkFor(color: string) {
  const brand = luminance(color)
  const againstLight = (luminance(LIGHT_INK) + 0.05) / (brand + 0.05)
  const againstDark = (brand + 0.05) / (luminance(DARK_INK) + 0.05)
  return againstLight >= againstDark ? LIGHT_INK : DARK_INK
}

/**
 * The stylesheet that carries a workspace's colour to its pages: the CSP
 * allows no inline styles, so the colour arrives as custom properties.
 */
export function brandingStylesheet(color: string | null) {
  const brand = isHexColor(color) ? color.toLowerCase() : DEFAULT_BRAND_COLOR
  return `:root { --brand: ${brand}; --brand-ink: ${inkFor(brand)}; }\n`
}

function luminance(color: string) {
  const channels = [1, 3, 5].map((start) => {
    const value = Number.parseInt(color.slice(start, start + 2), 16) / 255
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}
