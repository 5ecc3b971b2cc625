import { errors as lucidErrors } from '@adonisjs/lucid'
import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { findDataset, findDatasetRow, listDatasets } from '../services/dataset_service.js'
import { searchDataset } from '../services/dataset_search.js'
import { rowCard } from '../services/customer_answers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const RESULTS = 10

/**
 * Search-and-insert for the inbox composer, as pages so it works without
 * JavaScript: the composer links here with its conversation; the member
 * searches a dataset in plain words and inserts a row, which returns to the
 * conversation with the row's card in the reply box, ready to edit and send.
 * The conversation is only named in the address back to the inbox, whose
 * own routes decide who may open it.
 */
export default class ComposerInsertController {
  async show(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('view', access)
    // Inserting is writing a reply: members who may reply in the inbox.
    await bouncer.with('InboxPolicy').authorize('reply', access)
    const conversation = String(request.input('conversation') ?? '')
    if (!UUID.test(conversation)) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'datasets')
    const { data } = await listDatasets(tenant, { limit: 200 })
    const ready = data.filter((d) => d.status === 'ready')
    const chosenId = String(request.input('dataset') ?? ready[0]?.id ?? '')
    const dataset = ready.find((d) => d.id === chosenId) ?? null
    if (request.input('dataset') && !dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    const q = String(request.input('q') ?? '')
      .trim()
      .slice(0, 500)
    const found = dataset && q ? await searchDataset(tenant, dataset, q, { k: RESULTS }) : null
    return view.render('data_engine::datasets/insert', {
      ...layout,
      stylesheets: ['/assets/datasets.css'],
      scripts: [],
      title: i18n.t('datasets.insert.title'),
      conversation,
      datasets: ready,
      dataset,
      q,
      back: `${layout.base}/inbox/${conversation}`,
      results: (found?.results ?? []).map((hit) => ({
        id: hit.row.id,
        ...rowCard(dataset!, hit.row),
      })),
      searched: !!found,
    })
  }

  async insert(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant, session } = ctx
    await bouncer.with('DatasetPolicy').authorize('view', access)
    // Inserting is writing a reply: members who may reply in the inbox.
    await bouncer.with('InboxPolicy').authorize('reply', access)
    const conversation = String(request.input('conversation') ?? '')
    if (!UUID.test(conversation)) throw new lucidErrors.E_ROW_NOT_FOUND()
    const dataset = await findDataset(tenant, String(request.input('dataset') ?? ''))
    const rowId = Number(request.input('row'))
    const row =
      dataset && Number.isSafeInteger(rowId) ? await findDatasetRow(tenant, dataset, rowId) : null
    if (!dataset || !row) throw new lucidErrors.E_ROW_NOT_FOUND()
    // The composer's reply box shows the last submitted text (its `text` field).
    session.flash('text', rowCard(dataset, row).text)
    return response.redirect(
      `${workspaceLayout(ctx, 'datasets').base}/inbox/${conversation}#composer`
    )
  }
}
