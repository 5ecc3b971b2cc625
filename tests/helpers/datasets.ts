/*
| Generated datasets for the data engine's tests, evaluation and bench:
| property listings of a Dubai agency and a shop's product catalogue, with
| values spread deterministically so tests can count on them.
*/
import {
  confirmDraft,
  createDraftFromFile,
  findDataset,
  latestImport,
  runImport,
  type ColumnInput,
} from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'

export const COMMUNITIES = [
  'JLT',
  'Dubai Marina',
  'Downtown',
  'Business Bay',
  'JVC',
  'Palm Jumeirah',
  'Arabian Ranches',
  'Al Barsha',
]
export const PROPERTY_TYPES = ['Apartment', 'Villa', 'Townhouse', 'Studio']
export const FEATURES = [
  'sea view',
  'balcony',
  'private pool',
  'gym',
  'parking',
  'maid room',
  'garden',
  'burj view',
]

/** A small deterministic generator (mulberry32), so every run makes the same rows. */
export function seeded(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Listing {
  ref: string
  title: string
  community: string
  bedrooms: number
  price: number
  type: string
  available: boolean
  listed_on: string
  features: string
  photo: string
}

export function listing(i: number): Listing {
  const random = seeded(i + 1)
  const community = COMMUNITIES[i % COMMUNITIES.length]
  const bedrooms = Math.floor(random() * 5) + (i % 7 === 0 ? 0 : 1)
  const type = bedrooms === 0 ? 'Studio' : PROPERTY_TYPES[Math.floor(random() * 3)]
  const price = Math.round((40 + bedrooms * 35 + random() * 120) * 1000)
  const features = FEATURES.filter(() => random() < 0.3)
  const day = 1 + Math.floor(random() * 28)
  return {
    ref: `L-${1000 + i}`,
    title: `${bedrooms ? `${bedrooms} bedroom` : 'Studio'} ${type.toLowerCase()} in ${community}`,
    community,
    bedrooms,
    price,
    type,
    available: random() > 0.2,
    listed_on: `2026-0${1 + (i % 9)}-${String(day).padStart(2, '0')}`,
    features: features.join(', '),
    photo: `https://cdn.example/listings/${i}.jpg`,
  }
}

function csvCell(value: unknown) {
  const text = String(value)
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const LISTING_HEADERS = [
  'ref',
  'title',
  'community',
  'bedrooms',
  'price',
  'type',
  'available',
  'listed_on',
  'features',
  'photo',
]

export function listingRow(item: Listing) {
  return [
    item.ref,
    item.title,
    item.community,
    item.bedrooms,
    `AED ${item.price.toLocaleString('en-US')}`,
    item.type,
    item.available ? 'yes' : 'no',
    item.listed_on,
    item.features,
    item.photo,
  ]
    .map(csvCell)
    .join(',')
}

export function listingsCsv(count: number, from = 0) {
  const lines = [LISTING_HEADERS.join(',')]
  for (let i = from; i < from + count; i++) lines.push(listingRow(listing(i)))
  return lines.join('\n')
}

/**
 * A listings dataset imported through the real upload path (draft, confirm,
 * import), with the synonyms an agency would give its columns.
 */
export async function importListings(context: TenantContext, count: number) {
  const draft = await createDraftFromFile(context, {
    name: 'Listings',
    description: 'Properties for rent in Dubai',
    file: { bytes: Buffer.from(listingsCsv(count)), filename: 'listings.csv' },
  })
  await confirmDraft(context, draft.id, { keyColumn: 'ref', columns: LISTING_SETTINGS })
  const job = await latestImport(context, draft.id)
  await runImport(context, job!.id)
  return (await findDataset(context, draft.id))!
}

export const LISTING_SETTINGS = [
  { name: 'bedrooms', synonyms: 'br, bed, bedroom, beds, غرف, غرفه, غرفة نوم' },
  {
    name: 'community',
    synonyms:
      'area, location, المنطقة, Dubai Marina=مرسى دبي, Dubai Marina=marina, Downtown=داون تاون, Downtown=وسط المدينة, Palm Jumeirah=نخلة جميرا, Palm Jumeirah=the palm, Business Bay=الخليج التجاري, JLT=أبراج بحيرات جميرا, Arabian Ranches=المرابع العربية, Al Barsha=البرشاء',
  },
  { name: 'price', synonyms: 'rent, cost, السعر, الايجار' },
  {
    name: 'type',
    synonyms:
      'Apartment=شقة, Apartment=flat, Villa=فيلا, Villa=فيلات, Townhouse=تاون هاوس, Studio=استوديو',
  },
  {
    name: 'features',
    synonyms:
      'sea view=إطلالة بحرية, sea view=اطلالة على البحر, private pool=مسبح خاص, balcony=بلكونة, garden=حديقة, parking=موقف, gym=نادي رياضي',
  },
  { name: 'available', synonyms: 'vacant, متاح, متاحة' },
]

export const CATEGORIES = ['Phones', 'Laptops', 'Headphones', 'Watches', 'Tablets']
export const BRANDS = ['Apple', 'Samsung', 'Sony', 'Lenovo', 'Xiaomi']
export const COLORS = ['Black', 'White', 'Blue', 'Silver', 'Red']

export interface Product {
  sku: string
  name: string
  category: string
  brand: string
  color: string
  price: number
  rating: number
  storage_gb: number
  in_stock: boolean
  description: string
}

const BASE_PRICES: Record<string, number> = {
  Phones: 1500,
  Laptops: 3500,
  Headphones: 300,
  Watches: 900,
  Tablets: 1800,
}
const DESCRIPTIONS = [
  'long battery life',
  'noise cancelling',
  'lightweight and slim',
  'water resistant',
  'fast charging',
  'bright display',
  'great for gaming',
  'ideal for travel',
]

export function product(i: number): Product {
  const random = seeded(10_000 + i)
  const category = CATEGORIES[i % CATEGORIES.length]
  const brand = BRANDS[Math.floor(random() * BRANDS.length)]
  const color = COLORS[Math.floor(random() * COLORS.length)]
  const price = Math.round(BASE_PRICES[category] * (0.5 + random() * 1.5))
  const storage = [64, 128, 256, 512, 1024][Math.floor(random() * 5)]
  const words = DESCRIPTIONS.filter(() => random() < 0.25)
  return {
    sku: `P-${5000 + i}`,
    name: `${brand} ${category.replace(/s$/, '')} ${100 + (i % 900)}`,
    category,
    brand,
    color,
    price,
    rating: Math.round((2.5 + random() * 2.5) * 10) / 10,
    storage_gb: storage,
    in_stock: random() > 0.25,
    description: words.join(', ') || 'everyday essential',
  }
}

export const PRODUCT_SETTINGS = [
  {
    name: 'category',
    synonyms:
      'Phones=phone, Phones=mobile, Phones=هاتف, Phones=جوال, Laptops=laptop, Laptops=لابتوب, Laptops=notebook, Headphones=headphone, Headphones=سماعات, Headphones=سماعة, Watches=watch, Watches=ساعة, Watches=ساعات, Tablets=tablet, Tablets=تابلت',
  },
  {
    name: 'brand',
    synonyms: 'Apple=ابل, Apple=آبل, Samsung=سامسونج, Sony=سوني, Lenovo=لينوفو, Xiaomi=شاومي',
  },
  {
    name: 'color',
    synonyms:
      'colour, اللون, Black=اسود, Black=أسود, White=ابيض, White=أبيض, Blue=ازرق, Blue=أزرق, Silver=فضي, Red=احمر, Red=أحمر',
  },
  { name: 'price', synonyms: 'cost, السعر' },
  { name: 'rating', synonyms: 'stars, star, rated, تقييم' },
  { name: 'storage_gb', synonyms: 'gb, storage, جيجا, تخزين' },
  { name: 'in_stock', synonyms: 'in stock, available, متوفر, متوفرة' },
  { name: 'description', searchable: true, filterable: false },
]

export function productsCsv(count: number) {
  const headers = [
    'sku',
    'name',
    'category',
    'brand',
    'color',
    'price',
    'rating',
    'storage_gb',
    'in_stock',
    'description',
  ]
  const lines = [headers.join(',')]
  for (let i = 0; i < count; i++) {
    const p = product(i)
    lines.push(
      [
        p.sku,
        p.name,
        p.category,
        p.brand,
        p.color,
        `${p.price} AED`,
        p.rating,
        p.storage_gb,
        p.in_stock ? 'true' : 'false',
        p.description,
      ]
        .map(csvCell)
        .join(',')
    )
  }
  return lines.join('\n')
}

/** An uploaded sheet imported through the real path, with column settings. */
export async function importCsv(
  context: TenantContext,
  name: string,
  csv: string,
  keyColumn: string,
  settings: ColumnInput[]
) {
  const draft = await createDraftFromFile(context, {
    name,
    file: { bytes: Buffer.from(csv), filename: `${name.toLowerCase()}.csv` },
  })
  await confirmDraft(context, draft.id, { keyColumn, columns: settings })
  const job = await latestImport(context, draft.id)
  await runImport(context, job!.id)
  return (await findDataset(context, draft.id))!
}

/**
 * An uploaded sheet imported by the queued import job, for tests whose
 * default-queue workers run (importing here as well would race the job).
 */
export async function importCsvByWorker(
  context: TenantContext,
  name: string,
  csv: string,
  keyColumn: string,
  settings: ColumnInput[]
) {
  const draft = await createDraftFromFile(context, {
    name,
    file: { bytes: Buffer.from(csv), filename: `${name.toLowerCase()}.csv` },
  })
  await confirmDraft(context, draft.id, { keyColumn, columns: settings })
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const dataset = await findDataset(context, draft.id)
    if (dataset?.status === 'ready') return dataset
    if (dataset?.status === 'failed') throw new Error(`the import of ${name} failed`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the import of ${name} did not finish in 30 s`)
}
