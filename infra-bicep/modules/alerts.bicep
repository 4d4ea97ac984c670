// Alerts on what puts a child's report at risk before anyone would notice (docs/observability.md#alerts), and the
// operators' workbook. Log search alerts over the hub's OpenTelemetry metrics in Application Insights
// (customMetrics); every metric name comes from telemetry/metrics.json, which a deploy test keeps equal to the
// names the app emits (Hub.Functions/Telemetry/HubMetrics.cs).
@description('Resource location.')
param location string

param namePrefix string

@description('The Application Insights component the app exports its metrics to.')
param appInsightsId string

@description('Who is told (e-mail addresses of the on-call operators); empty = the alerts fire in the portal only.')
param alertEmails array

@description('Spool records waiting (standalone hosting) above which storage is treated as down.')
param spoolPendingThreshold int

@description('Percent of webhook answers that may be 503 (Functions hosting: storage unreachable, the provider retries) over 15 minutes.')
param unavailablePercentThreshold int

@description('Percent of webhook answers that may be 5xx over 15 minutes.')
param serverErrorPercentThreshold int

@description('A channel that had at least this many requests in the previous 22 hours and none in the last 2, between 07:00 and 22:00 in Vietnam, is silent.')
param silentChannelMinRequests int

@description('Signature or credential refusals per channel in 15 minutes above which someone is probing or a secret was rotated on one side only.')
param signatureRefusalThreshold int

param tags object

var metrics = loadJsonContent('../telemetry/metrics.json')

resource group 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmails)) {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'hub-oncall'
    enabled: true
    emailReceivers: [for (email, i) in alertEmails: {
      name: 'oncall-${i}'
      emailAddress: email
      useCommonAlertSchema: true
    }]
  }
}

var rules = [
  {
    name: 'poison-not-empty'
    title: 'A poison queue is not empty'
    description: 'A report or an action (bot turn, takedown, referral, SMS reply) failed for good and waits for an operator: cases poison list / replay (docs/reliability.md).'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.poisonDepth}\' | extend queue = tostring(customDimensions.queue) | summarize depth = max(value) by queue | where depth > 0'
  }
  {
    name: 'spool-pending'
    title: 'Reports are waiting in the local spool'
    description: 'Standalone hosting acknowledges into its spool while storage is unreachable; the relay has not drained it.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.spoolPendingRecords}\' | summarize pending = max(value) by cloud_RoleInstance | where pending > ${spoolPendingThreshold}'
  }
  {
    name: 'unavailable-rate'
    title: 'Webhooks answer 503 (storage unreachable)'
    description: 'Functions hosting answers 503 when a report cannot be made durable; providers retry, but a child may give up.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.webhookRequests}\' | summarize total = sum(value), unavailable = sumif(value, tostring(customDimensions.status) == \'503\') | where total >= 20 and unavailable * 100.0 / total > ${unavailablePercentThreshold}'
  }
  {
    name: 'server-errors'
    title: 'Webhooks answer 5xx'
    description: 'Any 5xx: nothing was acknowledged and the provider retries; a lasting rate is a fault to fix.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.webhookRequests}\' | extend channel = tostring(customDimensions.channel) | summarize total = sum(value), failed = sumif(value, tostring(customDimensions.status_class) == \'5xx\') by channel | where total >= 20 and failed * 100.0 / total > ${serverErrorPercentThreshold}'
  }
  {
    name: 'channel-silent'
    title: 'A channel has gone silent during the day'
    description: 'A channel with steady traffic received nothing for 2 hours in Vietnam\'s daytime: a provider, a number or a webhook setting may be broken.'
    severity: 2
    frequency: 'PT30M'
    window: 'P1D'
    query: 'let vnHour = datetime_part(\'hour\', now() + 7h); customMetrics | where name == \'${metrics.webhookRequests}\' | extend channel = tostring(customDimensions.channel) | summarize before = sumif(value, timestamp < ago(2h)), lately = sumif(value, timestamp >= ago(2h)) by channel | where vnHour between (7 .. 21) and before >= ${silentChannelMinRequests} and lately == 0'
  }
  {
    name: 'urgent-overdue'
    title: 'Urgent cases are past their clock'
    description: 'Immediate or high-urgency cases not answered in time, or their 12-hour intervention not done (Decree 56/2017).'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.casesOverdue}\' | extend urgency = tostring(customDimensions.urgency), team = tostring(customDimensions.team) | where urgency in (\'immediate\', \'high\') | summarize overdue = max(value) by team, urgency | where overdue > 0'
  }
  {
    name: 'signature-refusals'
    title: 'Webhook signature refusals are spiking'
    description: 'Requests refused for a missing, wrong or replayed signature: someone is probing, or a secret was rotated on one side only.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == \'${metrics.signatureRefused}\' | extend channel = tostring(customDimensions.channel) | summarize refused = sum(value) by channel | where refused > ${signatureRefusalThreshold}'
  }
]

resource alert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for r in rules: {
  name: '${namePrefix}-${r.name}'
  location: location
  tags: tags
  properties: {
    displayName: r.title
    description: r.description
    severity: r.severity
    enabled: true
    evaluationFrequency: r.frequency
    windowSize: r.window
    scopes: [appInsightsId]
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: r.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertEmails) ? [] : [group.id] }
  }
}]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsightsId, 'hub-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Reporting hub: operations'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('../telemetry/workbook.json')
  }
}

output alertNames array = [for (r, i) in rules: alert[i].name]
output workbookId string = workbook.id
