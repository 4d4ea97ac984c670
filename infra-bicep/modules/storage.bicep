// The hub's storage account: the reports queue and its poison queue, the work queues, the tables, and the
// evidence and raw-payload containers (encrypted by the app as well as by the service). TLS 1.2, no public
// blob access, no shared keys where the managed identity is used (Flex Consumption).
@description('Resource location.')
param location string

param name string

@description('Shared-key access. Off on Flex Consumption (identity only); Elastic Premium needs it for its content share.')
param allowSharedKeyAccess bool

@description('Days evidence and raw payloads are retained immutable (time-based, unlocked: operators may extend or lock it). 0 = no policy.')
@minValue(0)
@maxValue(3650)
param evidenceRetentionDays int

@description('Version-level immutability on evidence and raw payloads, so a legal hold can be placed on any blob.')
param evidenceLegalHoldSupport bool

@description('Log Analytics workspace for the storage services\' diagnostic logs.')
param workspaceId string

param tags object

// The names the app uses (functions/Hub.Functions/Storage/HubStorage.cs; a test checks both lists agree).
var queues = ['reports', 'reports-poison', 'bot-turns', 'bot-turns-poison', 'takedowns', 'takedowns-poison', 'sms-replies', 'sms-replies-poison', 'referrals', 'referrals-poison']
var tables = ['intake', 'optouts', 'conversations', 'zalotokens', 'calls', 'platforms', 'platformreports']
var evidenceContainers = ['evidence', 'raw']
// Mutable state the app keeps in blobs (the staff sessions' key ring, encrypted by the app): no immutability.
var stateContainers = ['keys']

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    encryption: {
      requireInfrastructureEncryption: true
      keySource: 'Microsoft.Storage'
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      isVersioningEnabled: evidenceLegalHoldSupport // version-level immutability needs versioning
      deleteRetentionPolicy: { enabled: true, days: 30 }
      containerDeleteRetentionPolicy: { enabled: true, days: 30 }
    }

    resource evidence 'containers' = [for c in evidenceContainers: {
      name: c
      properties: {
        publicAccess: 'None'
        immutableStorageWithVersioning: evidenceLegalHoldSupport ? { enabled: true } : null
      }
    }]

    resource state 'containers' = [for c in stateContainers: {
      name: c
      properties: { publicAccess: 'None' }
    }]

    // Flex Consumption reads the app package from here.
    resource deploy 'containers' = {
      name: 'deploy'
      properties: { publicAccess: 'None' }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queue 'queues' = [for q in queues: {
      name: q
    }]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource table 'tables' = [for t in tables: {
      name: t
    }]
  }
}

resource retention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = [for (c, i) in evidenceContainers: if (evidenceRetentionDays > 0) {
  name: 'default'
  parent: account::blobService::evidence[i]
  properties: {
    immutabilityPeriodSinceCreationInDays: evidenceRetentionDays
    allowProtectedAppendWrites: false
  }
}]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account::blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account::queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account::tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
