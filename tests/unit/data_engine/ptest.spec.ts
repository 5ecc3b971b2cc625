import { test } from '@japa/runner'
import { parseQuery } from '#modules/data_engine/services/query_parser'
import { defaultColumn } from '#modules/data_engine/services/column_types'
test('scratch', () => {
const cols = [
  defaultColumn('ref', 'c1', { type: 'text', currency: null, choices: [] }),
  defaultColumn('title', 'c2', { type: 'text', currency: null, choices: [] }),
  defaultColumn('community', 'c3', { type: 'choice', currency: null, choices: ['JLT', 'Dubai Marina', 'Downtown', 'Business Bay', 'JVC', 'Palm Jumeirah'] }),
  { ...defaultColumn('bedrooms', 'c4', { type: 'integer', currency: null, choices: [] }), synonyms: ['br', 'bed', 'bedroom', 'غرف', 'غرفه'] },
  defaultColumn('price', 'c5', { type: 'money', currency: 'AED', choices: [] }),
  defaultColumn('type', 'c6', { type: 'choice', currency: null, choices: ['Apartment', 'Villa', 'Townhouse', 'Studio'] }),
  defaultColumn('available', 'c7', { type: 'boolean', currency: null, choices: [] }),
  defaultColumn('features', 'c9', { type: 'text', currency: null, choices: ['sea view', 'balcony', 'private pool', 'gym'] }),
]
cols[2].synonyms = ['area', 'المنطقه', 'Dubai Marina=مرسى دبي', 'JLT=ابراج بحيرات جميرا']
cols[5].synonyms = ['Apartment=شقه', 'Apartment=flat', 'Villa=فيلا']
for (const q of ['2br sea view JLT under 150k', '3 bedroom villa between 200k and 400k', 'apartment in dubai marina at least 2 bedrooms', 'شقة غرفتين في مرسى دبي أقل من 150 ألف', 'studio under AED 90,000 available', 'title under 150k', 'villa with private pool over 1.5m', 'شقه 3 غرف اكثر من 200 الف', 'price 100k-200k JVC', 'cheap flat near the metro', 'not available villas', 'فيلا بين 1 مليون و 2 مليون']) {
  console.log(q, '=>', JSON.stringify(parseQuery(q, cols)))
}
})
