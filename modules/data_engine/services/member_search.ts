import i18nManager from '@adonisjs/i18n/services/main'
import type { DataAnswer, DataQuestion } from '#modules/brain/index'
import type { OutboundContent } from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import { answerFromDatasets } from './customer_answers.js'
import { callText, matchConnector } from './connector_answers.js'
import { callConnector, listConnectors } from './connector_service.js'
import { listDatasets } from './dataset_service.js'

/*
| A team member's search by WhatsApp: a message from a member's own number
| to the business number (channels' `member:message`) is answered from the
| workspace's data, never stored as a customer conversation. Connectors
| first ("order 4471", the member told what failed and why), then every
| ready dataset ("2br with sea view in JLT under 150k": a list of matching
| rows, "More results" paging on, a picked row's details). What matches
| nothing is answered with what there is to ask about.
*/

export interface MemberQuestion {
  tenant: TenantContext
  text: string
  choiceId: string | null
  locale: string | null
}

function languageOf(question: MemberQuestion): DataQuestion['language'] {
  if (/[\u0600-\u06FF]/.test(question.text)) return 'arabic'
  if (/[A-Za-z]/.test(question.text)) return 'english'
  return question.locale === 'ar' ? 'arabic' : 'english'
}

function t(language: DataQuestion['language'], key: string, data?: Record<string, unknown>) {
  return i18nManager.locale(language === 'arabic' ? 'ar' : 'en').t(`connectors.member.${key}`, data)
}

/** What to send back to the member, and what answered ('connector', 'dataset' or 'help'). */
export async function answerMember(question: MemberQuestion): Promise<{
  content: Extract<OutboundContent, { type: 'text' } | { type: 'list' }>
  mode: string
}> {
  const language = languageOf(question)
  const text = question.text.trim()
  if (!question.choiceId && text) {
    const connectors = await listConnectors(question.tenant)
    const match = matchConnector(connectors, text)
    if (match?.missing) {
      return {
        mode: 'connector',
        content: {
          type: 'text',
          text: t(language, 'ask', {
            connector: match.connector.name,
            parameter: match.missing.name,
          }),
        },
      }
    }
    if (match) {
      const call = await callConnector(question.tenant, match.connector, match.inputs)
      return {
        mode: 'connector',
        content: {
          type: 'text',
          text: callText(language, match.connector, call, true).slice(0, 4096),
        },
      }
    }
  }
  const asked: DataQuestion = {
    tenant: question.tenant,
    text,
    choiceId: question.choiceId,
    language,
  }
  const fromData: DataAnswer | null =
    text || question.choiceId ? await answerFromDatasets(asked, { internal: true }) : null
  if (fromData) return { mode: 'dataset', content: fromData.content }

  const { data: all } = await listDatasets(question.tenant, { limit: 20 })
  const datasets = all.filter((d) => d.status === 'ready')
  const connectors = await listConnectors(question.tenant)
  const names = [...datasets.map((d) => d.name), ...connectors.map((c) => c.name)]
  return {
    mode: 'help',
    content: {
      type: 'text',
      text: names.length
        ? t(language, 'help', { names: names.slice(0, 20).join(', ') })
        : t(language, 'nothing'),
    },
  }
}
