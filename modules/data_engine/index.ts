/*
| The data engine owns a tenant's datasets: typed tables imported from CSV,
| XLSX or the API, their row browser, and the natural-language search over
| them (filters parsed from the question, full text and vectors fused),
| and live API connectors called through the outbound guard.
*/
import './permissions.js'
export {
  COLUMN_TYPES,
  coerceValue,
  inferColumn,
  displayValue,
  type ColumnType,
  type DatasetColumn,
  type TypedValue,
} from './services/column_types.js'
export { FILTER_OPS, type Filter, type FilterOp, type RowRecord } from './services/row_table.js'
export {
  DatasetError,
  listDatasets,
  findDataset,
  findDatasetOrFail,
  latestImport,
  findImport,
  createDraftFromFile,
  confirmDraft,
  runImport,
  createDataset,
  writeRows,
  updateDatasetSettings,
  deleteDataset,
  browseDataset,
  findDatasetRow,
  editRow,
  removeRow,
  type Dataset,
  type DatasetImport,
  type ImportTimings,
  type RowError,
  type ColumnInput,
  type DatasetSource,
} from './services/dataset_service.js'
export { default as ImportDatasetJob } from './jobs/import_dataset_job.js'
export { default as RefreshDatasetJob } from './jobs/refresh_dataset_job.js'
export {
  createDraftFromUrl,
  refreshDataset,
  updateRefresh,
  queueDueRefreshes,
  REFRESH_CHOICES,
  type RefreshOutcome,
} from './services/dataset_sources.js'
export {
  parseQuery,
  checkFilter,
  type ParsedQuery,
  type DroppedFilter,
} from './services/query_parser.js'
export {
  searchDataset,
  type DatasetSearchOptions,
  type DatasetSearchResult,
  type DatasetHit,
} from './services/dataset_search.js'
export { proposeFilters, filterSchema } from './services/model_filters.js'
export {
  answerFromDatasets,
  rowChoiceId,
  rowCard,
  clip,
  LIST_LIMITS,
} from './services/customer_answers.js'
export {
  AUTH_MODES,
  PARAMETER_TYPES,
  SECRET_MASK,
  listConnectors,
  findConnector,
  createConnector,
  updateConnector,
  deleteConnector,
  callConnector,
  fillReply,
  type Connector,
  type ConnectorCall,
  type ConnectorInput,
  type ConnectorParameter,
} from './services/connector_service.js'
export { readJsonPath, parseJsonPath, JsonPathError } from './services/json_path.js'
export {
  answerFromConnectors,
  matchConnector,
  extractInputs,
  answerToAsk,
  ASK_MEMORY_SECONDS,
} from './services/connector_answers.js'
export {
  connectorTools,
  checkToolCall,
  pickConnectorByModel,
  toolName,
} from './services/connector_tools.js'

export const dataEnginePolicies = {
  DatasetPolicy: () => import('./policies/dataset_policy.js'),
}
export { registerDataEngineListeners, datasetBytesInUse } from './events.js'
