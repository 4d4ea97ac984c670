// The reporting-channel integration hub on Azure: storage (queues, tables, evidence), the Functions custom
// handler, a user-assigned identity with data-plane roles only, Key Vault for every secret, Application
// Insights on Log Analytics. Plain resources and local modules only: builds and lints offline.
// docs/deploy.md walks through a deployment; the outputs are the URLs to give each provider.
targetScope = 'resourceGroup'

@description('Azure region. There is no Azure region in Vietnam: southeastasia (Singapore) is the nearest; docs/deploy.md on data residency.')
param location string = 'southeastasia'

@description('Short lowercase prefix for resource names (3-10 letters or digits).')
@minLength(3)
@maxLength(10)
param prefix string = 'vnchub'

@description('Distinguishes deployments (prod, test…).')
@maxLength(8)
param environmentName string = 'prod'

@description('FlexConsumption (default) or ElasticPremium, the fallback while custom handlers on Flex are unconfirmed.')
@allowed(['FlexConsumption', 'ElasticPremium'])
param plan string = 'FlexConsumption'

@description('Flex runtime stack for the custom handler.')
@allowed(['custom', 'dotnet-isolated'])
param flexRuntimeName string = 'custom'

@description('Flex runtime version: 1.0 for custom; 8.0 or later for dotnet-isolated.')
param flexRuntimeVersion string = '1.0'

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Public base URL the providers call; empty = the Function App\'s own https://{name}.azurewebsites.net.')
param publicBaseUrl string = ''

@description('Days evidence and raw payloads stay immutable (time-based retention, unlocked). 0 = none.')
@minValue(0)
@maxValue(3650)
param evidenceRetentionDays int = 0

@description('Version-level immutability on evidence and raw containers, so investigators can put a legal hold on any blob.')
param evidenceLegalHoldSupport bool = true

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Key id of the active contact-encryption key (Key Vault secret Hub--Privacy--ContactKeys--{id}).')
param contactKeyId string = 'k1'

@description('Key id of the hub\'s ES256 signing key for takedown requests (Key Vault secret Hub--Signing--Keys--{id}).')
param signingKeyId string = 's1'

@description('Staff sign-in: the OpenID Connect provider\'s issuer URL (Entra ID: https://login.microsoftonline.com/{tenant}/v2.0); empty = nobody signs in (docs/console-api.md).')
param authAuthority string = ''

@description('Client id of the console\'s app registration; its secret is the Key Vault secret Hub--Auth--ClientSecret.')
param authClientId string = ''

@description('Audience machine clients\' bearer tokens must carry (api://{client id}); empty = no bearer tokens.')
param authAudience string = ''

@description('Object id of the case database\'s Microsoft Entra administrator (a group of the hub\'s operators): runs the migrations and grants the app\'s identity the hub_app role (docs/cases.md#on-azure).')
param databaseAdministratorObjectId string

@description('Display name of that Entra administrator.')
param databaseAdministratorName string

@allowed(['Group', 'User', 'ServicePrincipal'])
param databaseAdministratorType string = 'Group'

@description('Case database compute size.')
param databaseSku string = 'Standard_B2s'

@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param databaseTier string = 'Burstable'

@description('Days of point-in-time restore for the case database (7-35).')
@minValue(7)
@maxValue(35)
param databaseBackupRetentionDays int = 35

param databaseGeoRedundantBackup bool = false

@description('A standby for the case database: ZoneRedundant needs GeneralPurpose or MemoryOptimized.')
@allowed(['Disabled', 'SameZone', 'ZoneRedundant'])
param databaseHighAvailability string = 'Disabled'

type channelType = 'twilio-sms' | 'twilio-voice' | 'sms-gateway' | 'messenger' | 'zalo' | 'web'

type channel = {
  @description('Instance name; part of the webhook URL (lowercase letters, digits, dashes).')
  name: string

  type: channelType

  @description('Province code (34 units since 1 July 2025) the instance stands for, if any.')
  province: string?

  @description('Non-secret settings of the instance (AccountSid, Carrier, AppId, OaId, MediaHosts…), as Hub:Channels:{name}:{key}.')
  settings: object?
}

type platform = {
  @description('Platform id (2-32 lowercase letters, digits, dashes): the X-Hub-Platform header.')
  id: string

  @description('Where takedown requests go (https).')
  callbackUrl: string?

  ratePerMinute: int?
}

@description('E-mail addresses told when an alert fires (docs/observability.md#alerts); empty = the portal only.')
param alertEmails array = []

@description('Spool records waiting (standalone hosting) before the spool alert fires.')
param alertSpoolPendingThreshold int = 0

@description('Percent of 503 answers over 15 minutes before the storage-unavailable alert fires.')
param alertUnavailablePercent int = 5

@description('Percent of 5xx answers per channel over 15 minutes before the server-error alert fires.')
param alertServerErrorPercent int = 5

@description('Requests a channel needs in the previous 22 hours before 2 silent daytime hours raise an alert.')
param alertSilentChannelMinRequests int = 50

@description('Signature refusals per channel in 15 minutes before the probing alert fires.')
param alertSignatureRefusals int = 50

@description('Channel instances: each gets its webhook URL in the outputs and its secrets as Key Vault references.')
param channels channel[] = [
  { name: 'sms', type: 'twilio-sms' }
  { name: 'gateway', type: 'sms-gateway' }
  { name: 'line-111', type: 'twilio-voice' }
  { name: 'messenger', type: 'messenger' }
  { name: 'zalo', type: 'zalo' }
  { name: 'web', type: 'web' }
]

@description('Platforms allowed to call the auto-report API (more can be registered later with the platform register command).')
param platforms platform[] = []

param tags object = {
  application: 'child-protection-reporting-hub'
  environment: environmentName
}

var suffix = uniqueString(resourceGroup().id, prefix, environmentName)
var names = {
  identity: 'id-${prefix}-${environmentName}'
  storage: take(toLower('st${prefix}${suffix}'), 24)
  vault: take('kv-${prefix}-${suffix}', 24)
  workspace: 'log-${prefix}-${environmentName}'
  appInsights: 'appi-${prefix}-${environmentName}'
  plan: 'plan-${prefix}-${environmentName}'
  app: 'func-${prefix}-${environmentName}-${take(suffix, 6)}'
  database: 'psql-${prefix}-${environmentName}-${take(suffix, 6)}'
}

// The secrets each channel type needs (what start-up validation requires); optional ones such as a
// SecondarySecret during rotation are added as settings when used (docs/deploy.md "Rotating secrets").
var secretsByType = {
  'twilio-sms': ['AuthToken']
  'twilio-voice': ['AuthToken']
  'sms-gateway': ['Secret']
  messenger: ['AppSecret', 'VerifyToken', 'PageAccessToken']
  zalo: ['AppId', 'OaSecretKey', 'AppSecretKey', 'RefreshToken'] // AppId is not secret, but kept beside its keys
  web: [] // the public form has no provider secret; its tokens are keyed from the pseudonym key
}

func keyVaultReference(vault string, secret string) string => '@Microsoft.KeyVault(VaultName=${vault};SecretName=${secret})'

func setting(name string, value string) object => { name: name, value: value }

var baseUrl = empty(publicBaseUrl) ? 'https://${app.outputs.defaultHostName}' : publicBaseUrl

var privacySettings = [
  setting('Hub__Privacy__PseudonymKey', keyVaultReference(names.vault, 'Hub--Privacy--PseudonymKey'))
  setting('Hub__Privacy__ContactKeys__${contactKeyId}', keyVaultReference(names.vault, 'Hub--Privacy--ContactKeys--${contactKeyId}'))
  setting('Hub__Privacy__ActiveContactKeyId', contactKeyId)
  setting('Hub__Signing__Keys__${signingKeyId}', keyVaultReference(names.vault, 'Hub--Signing--Keys--${signingKeyId}'))
  setting('Hub__Signing__ActiveKeyId', signingKeyId)
]

var channelSettings = flatten(map(channels, c => concat(
  [setting('Hub__Channels__${c.name}__Type', c.type)],
  c.?province == null ? [] : [setting('Hub__Channels__${c.name}__Province', c.province!)],
  map(items(c.?settings ?? {}), kv => setting('Hub__Channels__${c.name}__${kv.key}', string(kv.value))),
  map(secretsByType[c.type], s => setting('Hub__Channels__${c.name}__${s}', keyVaultReference(names.vault, 'Hub--Channels--${c.name}--${s}')))
)))

var platformSettings = flatten(map(platforms, p => concat(
  [setting('Hub__Platforms__${p.id}__Secret', keyVaultReference(names.vault, 'Hub--Platforms--${p.id}--Secret'))],
  p.?callbackUrl == null ? [] : [setting('Hub__Platforms__${p.id}__CallbackUrl', p.callbackUrl!)],
  p.?ratePerMinute == null ? [] : [setting('Hub__Platforms__${p.id}__RatePerMinute', string(p.ratePerMinute!))]
)))

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: names.identity
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionDays: logRetentionDays
    tags: tags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    namePrefix: 'alert-${prefix}-${environmentName}'
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmails: alertEmails
    spoolPendingThreshold: alertSpoolPendingThreshold
    unavailablePercentThreshold: alertUnavailablePercent
    serverErrorPercentThreshold: alertServerErrorPercent
    silentChannelMinRequests: alertSilentChannelMinRequests
    signatureRefusalThreshold: alertSignatureRefusals
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    allowSharedKeyAccess: plan == 'ElasticPremium'
    evidenceRetentionDays: evidenceRetentionDays
    evidenceLegalHoldSupport: evidenceLegalHoldSupport
    workspaceId: monitoring.outputs.workspaceId
    tags: tags
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.vault
    workspaceId: monitoring.outputs.workspaceId
    tags: tags
  }
}

module database 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    name: names.database
    skuName: databaseSku
    skuTier: databaseTier
    backupRetentionDays: databaseBackupRetentionDays
    geoRedundantBackup: databaseGeoRedundantBackup
    highAvailability: databaseHighAvailability
    administratorObjectId: databaseAdministratorObjectId
    administratorName: databaseAdministratorName
    administratorType: databaseAdministratorType
    workspaceId: monitoring.outputs.workspaceId
    tags: tags
  }
}

// The app signs in to PostgreSQL as its identity's name with an Entra token: no password in any setting.
var caseSettings = [
  setting('Hub__Cases__ConnectionString', 'Host=${database.outputs.fqdn};Database=${database.outputs.databaseName};Username=${names.identity};Ssl Mode=VerifyFull;Maximum Pool Size=20')
  setting('Hub__Cases__UseEntraAuthentication', 'true')
  setting('Hub__Cases__ManagedIdentityClientId', identity.outputs.clientId)
  // The identity holds hub_app only; the Entra administrator applies migrations (scripts/deploy.sh).
  setting('Hub__Cases__MigrateOnStart', 'false')
]

// Staff sign-in: the provider proves who someone is; roles and teams are the hub's own (docs/console-api.md).
var authSettings = empty(authAuthority) ? [] : concat(
  [
    setting('Hub__Auth__Authority', authAuthority)
    setting('Hub__Auth__ClientId', authClientId)
    setting('Hub__Auth__ClientSecret', keyVaultReference(names.vault, 'Hub--Auth--ClientSecret'))
  ],
  empty(authAudience) ? [] : [setting('Hub__Auth__Audience', authAudience)]
)

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module app 'modules/functionapp.bicep' = {
  name: 'functionapp'
  dependsOn: [roles] // Key Vault references and identity-based storage must work from the first start
  params: {
    location: location
    name: names.app
    planName: names.plan
    plan: plan
    flexRuntimeName: flexRuntimeName
    flexRuntimeVersion: flexRuntimeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    appInsightsConnectionString: monitoring.outputs.connectionString
    hubSettings: concat(
      [
        setting('Hub__PublicBaseUrl', empty(publicBaseUrl) ? 'https://${names.app}.azurewebsites.net' : publicBaseUrl)
        setting('Hub__Storage__AccountName', names.storage)
        setting('Hub__Storage__ManagedIdentityClientId', identity.outputs.clientId)
      ],
      privacySettings,
      caseSettings,
      authSettings,
      channelSettings,
      platformSettings
    )
    tags: tags
  }
}

output functionAppName string = app.outputs.name
output storageAccountName string = storage.outputs.name
output keyVaultName string = vault.outputs.name
output databaseServer string = database.outputs.fqdn
output databaseName string = database.outputs.databaseName
output identityName string = names.identity
output publicBaseUrl string = baseUrl
output healthUrl string = '${baseUrl}/api/health'

@description('Give each provider its URL: Twilio SMS "A message comes in"; Twilio Voice "A call comes in" (incoming) and "Call status changes" (status); the gateway contract; Meta\'s callback URL; Zalo\'s webhook URL; the web form\'s public address (link it from school sites, print its poster at /bao-cao/in).')
output webhooks array = [for c in channels: {
  channel: c.name
  type: c.type
  urls: c.type == 'twilio-voice'
    ? ['${baseUrl}/api/channels/twilio-voice/${c.name}/incoming', '${baseUrl}/api/channels/twilio-voice/${c.name}/status']
    : c.type == 'web' ? ['${baseUrl}/bao-cao'] : ['${baseUrl}/api/channels/${c.type}/${c.name}']
}]

output platformApi object = {
  baseUrl: '${baseUrl}/api/platform/v1'
  openApi: '${baseUrl}/api/platform/v1/openapi.json'
  docs: '${baseUrl}/api/platform/v1/docs'
  signingKeys: '${baseUrl}/api/platform/v1/signing-keys'
}

@description('The Key Vault secrets to set before the hub can start (docs/deploy.md).')
output requiredSecrets array = concat(
  ['Hub--Privacy--PseudonymKey', 'Hub--Privacy--ContactKeys--${contactKeyId}', 'Hub--Signing--Keys--${signingKeyId}'],
  flatten(map(channels, c => map(secretsByType[c.type], s => 'Hub--Channels--${c.name}--${s}'))),
  map(platforms, p => 'Hub--Platforms--${p.id}--Secret')
)
