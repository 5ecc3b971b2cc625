import type { HttpContext } from '@adonisjs/core/http'
import { channelsOf, findTenantChannel } from '#modules/channels/index'
import { workspaceLayout } from '#modules/tenancy/index'
import {
  WEEKDAYS,
  readAssistantSettings,
  readAssistantSettingsOf,
  saveAssistantSettings,
} from '../services/assistant_settings.js'
import { handBackToAssistant } from '../services/assistant_service.js'
import { answerMode } from '../services/answers.js'
import {
  MAX_INSTRUCTIONS,
  assistantSettingsValidator,
  businessHoursFrom,
  parseHandoffWords,
} from '../validators/assistant_validator.js'
import { fieldError, validatedOrBack } from './form_helpers.js'
import { errors as lucidErrors } from '@adonisjs/lucid'

/** Time zones offered in the form: the runtime's list (IANA names). */
// Intl leaves UTC out of its list: without it, a select showing UTC picked
// the first zone (Africa/Abidjan) and the form saved that unseen.
const TIMEZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')]

/**
 * The assistant's settings per channel (owners and admins), and handing a
 * conversation back to it from the inbox (members who reply).
 */
export default class AssistantController {
  async index(ctx: HttpContext) {
    const { bouncer, access, tenant, view } = ctx
    await bouncer.with('AssistantPolicy').authorize('manage', access)
    const layout = workspaceLayout(ctx, 'assistant')
    const channels = await channelsOf(tenant.id)
    const settings = await readAssistantSettingsOf(
      tenant,
      channels.map((channel) => channel.id)
    )
    return view.render('brain::assistant/index', {
      ...layout,
      mode: answerMode(),
      channels: channels.map((channel) => ({
        id: channel.id,
        name: channel.name,
        type: channel.type,
        status: channel.status,
        settings: settings.get(channel.id)!,
      })),
    })
  }

  async show(ctx: HttpContext) {
    const { bouncer, access, tenant, view, params } = ctx
    await bouncer.with('AssistantPolicy').authorize('manage', access)
    const channel = await findTenantChannel(tenant.id, params.channelId)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const settings = await readAssistantSettings(tenant, channel.id)
    // Never saved: the business's hours start in the time zone of the person setting them up.
    const ownZone = ctx.auth.user!.timezone
    if (!settings.updatedAt && TIMEZONES.includes(ownZone)) settings.timezone = ownZone
    const layout = workspaceLayout(ctx, 'assistant')
    return view.render('brain::assistant/show', {
      ...layout,
      mode: answerMode(),
      channel: { id: channel.id, name: channel.name, type: channel.type },
      settings,
      handoffWordsText: settings.handoffWords.join('\n'),
      weekdays: WEEKDAYS.map((day) => ({
        day,
        name: ctx.i18n.t(`assistant.weekdays.${day}`),
        open: settings.businessHours[String(day)]?.[0] ?? '',
        close: settings.businessHours[String(day)]?.[1] ?? '',
      })),
      timezones: TIMEZONES.map((zone) => ({ value: zone, label: zone })),
      maxInstructions: MAX_INSTRUCTIONS,
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, params, session, i18n, auth } = ctx
    await bouncer.with('AssistantPolicy').authorize('manage', access)
    const channel = await findTenantChannel(tenant.id, params.channelId)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const back = `${workspaceLayout(ctx, 'assistant').base}/assistant/${channel.id}`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(assistantSettingsValidator, { meta })
    )
    if (!data) return
    const { hours, problem } = businessHoursFrom(data)
    if (problem) {
      fieldError(ctx, problem.field, i18n.t('assistant.validation.hours'))
      return response.redirect(back)
    }
    if (data.active_mode === 'outside_hours' && Object.keys(hours).length === 0) {
      fieldError(ctx, 'open_1', i18n.t('assistant.validation.hours_needed'))
      return response.redirect(back)
    }
    await saveAssistantSettings(
      tenant,
      channel.id,
      {
        enabled: data.enabled ?? false,
        personaName: data.persona_name ?? '',
        instructions: data.instructions ?? '',
        language: data.language,
        activeMode: data.active_mode,
        timezone: data.timezone,
        businessHours: hours,
        confidenceThreshold: data.confidence_threshold,
        handoffWords: parseHandoffWords(data.handoff_words),
        maxFailures: data.max_failures,
        citeSources: data.cite_sources ?? false,
        draftReplies: data.draft_replies ?? false,
      },
      auth.user!.id
    )
    session.flash('success', i18n.t('assistant.flash.saved', { channel: channel.name }))
    return response.redirect(back)
  }

  /** The inbox's "hand back to the assistant" button. */
  async handBack(ctx: HttpContext) {
    const { bouncer, access, tenant, params, response, session, i18n, request, auth } = ctx
    await bouncer.with('AssistantPolicy').authorize('handBack', access)
    const base = workspaceLayout(ctx, 'inbox').base
    try {
      await handBackToAssistant(tenant, params.id, auth.user!.id)
    } catch (error) {
      if ((error as { status?: number }).status === 404) throw new lucidErrors.E_ROW_NOT_FOUND()
      throw error
    }
    session.flash('success', i18n.t('assistant.flash.handed_back'))
    // The list's own query (filters) comes back with the form, as the inbox's actions do.
    const list = String(request.input('list') ?? '')
    const query = /^[\w=&%.+-]*$/.test(list) && list ? `?${list}` : ''
    return response.redirect(`${base}/inbox/${params.id}${query}`)
  }
}
