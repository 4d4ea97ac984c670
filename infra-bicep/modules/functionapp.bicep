// The hub as an Azure Functions custom handler (host.json customHandler → app/Hub.Functions), on Flex
// Consumption by default or Elastic Premium as the fallback (custom handlers on Flex: azure.md §5).
@description('Resource location.')
param location string

param name string
param planName string

@allowed(['FlexConsumption', 'ElasticPremium'])
param plan string

@description('Flex Consumption runtime stack for a custom handler (azure.md §5: "custom"/"1.0" per the stack data; to confirm on a throwaway deployment).')
param flexRuntimeName string

param flexRuntimeVersion string

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

param identityId string
param identityClientId string
param storageAccountName string
param blobEndpoint string
param appInsightsConnectionString string

@description('The hub\'s own settings (Hub__*): values and Key Vault references, built in main.bicep.')
param hubSettings array

param tags object

var isFlex = plan == 'FlexConsumption'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource farm 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex ? { tier: 'FlexConsumption', name: 'FC1' } : { tier: 'ElasticPremium', name: 'EP1' }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: isFlex ? null : 20
  }
}

// The Functions host's own storage (triggers, leases) through the same identity, no key (azure.md §6.1).
var hostSettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
  { name: 'ASPNETCORE_ENVIRONMENT', value: 'Production' }
  { name: 'DOTNET_ENVIRONMENT', value: 'Production' }
]

// Elastic Premium runs from a zip package and keeps its content share on Azure Files, which needs a key.
var premiumSettings = isFlex ? [] : [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'custom' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
  { name: 'WEBSITE_CONTENTSHARE', value: toLower(name) }
  {
    name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${storage.listKeys().keys[0].value}'
  }
]

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: farm.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: isFlex
      ? {
          deployment: {
            storage: {
              type: 'blobContainer'
              value: '${blobEndpoint}deploy'
              authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
            }
          }
          scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
          runtime: { name: flexRuntimeName, version: flexRuntimeVersion }
        }
      : null
    siteConfig: {
      appSettings: concat(hostSettings, premiumSettings, hubSettings)
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
