import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import {
  ApiError,
  idempotent,
  pageBody,
  sendJson,
  validateApiBody,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from '#app/http/api/index'
import type { CampaignAudience } from '../../models/campaign.js'
import {
  CampaignError,
  campaignStats,
  createCampaign,
  findCampaignOrFail,
  launchCampaign,
  pauseCampaign,
  recipientsPage,
  RECIPIENT_STATUSES,
} from '../../services/campaign_service.js'
import { presentCampaign, presentRecipient } from '../../presenters/campaign_presenter.js'
import { createCampaignBody } from '../../validators/campaign_api_validator.js'
import { clockMinutes } from '../../services/campaign_schedule.js'

/**
 * /api/v1/campaigns: one-off WhatsApp broadcasts. Another tenant's campaign
 * is simply not found (every query runs in the key's tenant schema).
 */
export default class CampaignsApiController {
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createCampaignBody)
      const given = (['segment_id', 'labels', 'contact_ids'] as const).filter(
        (key) => data.audience[key] !== undefined
      )
      if (given.length !== 1) {
        throw new ApiError(422, 'validation_failed', 'The request is invalid', {
          audience: ['Give exactly one of segment_id, labels or contact_ids'],
        })
      }
      const audience = { [given[0]]: data.audience[given[0]] } as CampaignAudience
      try {
        const campaign = await createCampaign(ctx.tenant, {
          name: data.name,
          channelId: data.channel_id,
          template: {
            name: data.template.name,
            language: data.template.language,
            variables: data.template.variables ?? {},
          },
          audience,
          scheduleAt: data.schedule_at ? DateTime.fromJSDate(data.schedule_at) : null,
          localTime: data.local_time ?? false,
          quiet:
            data.quiet_hours === undefined
              ? undefined
              : data.quiet_hours === null
                ? { start: null, end: null }
                : {
                    start: clockMinutes(data.quiet_hours.start),
                    end: clockMinutes(data.quiet_hours.end),
                  },
          allowUnknownConsent: data.allow_unknown_consent ?? false,
          requiresApproval: data.requires_approval ?? false,
        })
        return {
          status: 201,
          body: presentCampaign(campaign, await campaignStats(ctx.tenant, campaign.id)),
          headers: { Location: `/api/v1/campaigns/${campaign.id}` },
        }
      } catch (error) {
        throw apiErrorOf(error)
      }
    })
  }

  async show(ctx: HttpContext) {
    const campaign = await find(ctx)
    return sendJson(
      ctx,
      200,
      presentCampaign(campaign, await campaignStats(ctx.tenant, campaign.id))
    )
  }

  async launch(ctx: HttpContext) {
    await find(ctx)
    try {
      const campaign = await launchCampaign(ctx.tenant, ctx.params.id)
      return sendJson(
        ctx,
        200,
        presentCampaign(campaign, await campaignStats(ctx.tenant, campaign.id))
      )
    } catch (error) {
      throw apiErrorOf(error)
    }
  }

  async pause(ctx: HttpContext) {
    await find(ctx)
    try {
      const campaign = await pauseCampaign(ctx.tenant, ctx.params.id)
      return sendJson(
        ctx,
        200,
        presentCampaign(campaign, await campaignStats(ctx.tenant, campaign.id))
      )
    } catch (error) {
      throw apiErrorOf(error)
    }
  }

  async recipients(ctx: HttpContext) {
    const campaign = await find(ctx)
    const qs = ctx.request.qs()
    const fields: Record<string, string[]> = {}
    const limit = qs.limit === undefined ? DEFAULT_PAGE_SIZE : Number(qs.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      fields.limit = [`The limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`]
    }
    const after = qs.cursor === undefined ? 0 : Number(qs.cursor)
    if (!Number.isSafeInteger(after) || after < 0)
      fields.cursor = ['The cursor is not one this API returned']
    const statuses = [...RECIPIENT_STATUSES, 'replied']
    if (qs.status !== undefined && !statuses.includes(String(qs.status))) {
      fields.status = [`One of ${statuses.join(', ')}`]
    }
    const code = qs.error_code === undefined ? null : Number(qs.error_code)
    if (code !== null && !Number.isInteger(code)) fields.error_code = ['A WhatsApp error code']
    if (Object.keys(fields).length) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
    }
    const rows = await recipientsPage(
      ctx.tenant,
      campaign.id,
      { status: qs.status ?? null, reason: qs.skip_reason ? String(qs.skip_reason) : null, code },
      { afterId: after, limit: limit + 1 }
    )
    const more = rows.length > limit
    const page = rows.slice(0, limit)
    return sendJson(
      ctx,
      200,
      pageBody(page.map(presentRecipient), more ? String(page[page.length - 1].id) : null)
    )
  }
}

async function find(ctx: HttpContext) {
  try {
    return await findCampaignOrFail(ctx.tenant, ctx.params.id)
  } catch {
    throw new ApiError(404, 'not_found', 'No such campaign')
  }
}

function apiErrorOf(error: unknown) {
  if (!(error instanceof CampaignError)) return error
  const fields = Object.fromEntries(
    Object.entries(error.fields).map(([name, message]) => [name, [message]])
  )
  return new ApiError(error.status, error.code ?? 'invalid', error.message, fields)
}
