import { DateTime } from 'luxon'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { createTask } from '#modules/hitl/index'
import Campaign from '../models/campaign.js'
import { audienceCount, CampaignError } from './campaign_service.js'
import { clockText } from './campaign_schedule.js'

export const APPROVAL_KIND = 'campaign_approval'

/**
 * A campaign that needs an owner's approval opens a task for the owners:
 * the template as it will look (with the mapped variables), how many
 * contacts the audience names now, and the schedule. Approving it launches
 * the campaign (campaign_listeners.ts); rejecting returns it to draft.
 */
export async function requestApproval(tenant: TenantContext, campaign: Campaign) {
  const count = await audienceCount(tenant, campaign.audience)
  const numbers = Object.keys(campaign.variables)
    .map(Number)
    .sort((a, b) => a - b)
  const schedule = campaign.localAt
    ? `${campaign.localAt.replace('T', ' ')} in each contact’s time zone`
    : campaign.scheduleAt
      ? campaign.scheduleAt.toUTC().toFormat("yyyy-MM-dd HH:mm 'UTC'")
      : 'As soon as it is approved'
  const { task } = await createTask(
    tenant,
    {
      kind: APPROVAL_KIND,
      title: `Approve campaign “${campaign.name}”`,
      description: `Sends ${campaign.templateName} (${campaign.templateLanguage}) to ${count} contact(s).`,
      priority: 'normal',
      assignee: { role: 'owner' },
      components: [
        {
          type: 'message_preview',
          template: {
            name: campaign.templateName,
            language: campaign.templateLanguage,
            variables: numbers.map((n) => campaign.variables[String(n)]),
          },
        },
        {
          type: 'key_values',
          items: [
            { label: 'Audience', value: count },
            { label: 'Schedule', value: schedule },
            {
              label: 'Quiet hours',
              value:
                campaign.quietStart === null
                  ? 'None'
                  : `${clockText(campaign.quietStart)}–${clockText(campaign.quietEnd)}`,
            },
          ],
        },
      ],
      allowed: { edit: false },
      source: { type: 'pulse', ref: campaign.id },
    },
    systemActor
  )
  return tenant.transaction(async (trx) => {
    const row = await Campaign.query({ client: trx })
      .where('id', campaign.id)
      .forUpdate()
      .firstOrFail()
    if (row.status !== 'draft') {
      throw new CampaignError('invalid_state', `The campaign is ${row.status}`, {}, 409)
    }
    row.status = 'awaiting_approval'
    row.approvalTaskId = task.id
    row.updatedAt = DateTime.now()
    await row.save()
    return row
  })
}
