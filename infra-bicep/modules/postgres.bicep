// The case store: Azure Database for PostgreSQL Flexible Server with Microsoft Entra authentication only (no
// password exists), TLS 1.2+ required, backups and high availability as parameters. The app's user-assigned
// identity signs in with Entra tokens (Azure.Identity; Npgsql's periodic password provider); the Entra
// administrator named here runs the migrations and grants the identity the hub_app role (docs/cases.md#on-azure).
@description('Resource location.')
param location string

@description('Server name (globally unique).')
param name string

@description('Database the hub uses.')
param databaseName string = 'hub'

@description('PostgreSQL major version.')
@allowed(['15', '16'])
param version string = '16'

@description('Compute: Burstable B2s is enough for one national hotline; GeneralPurpose for zone-redundant HA.')
param skuName string = 'Standard_B2s'

@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param skuTier string = 'Burstable'

@minValue(32)
param storageSizeGB int = 64

@minValue(7)
@maxValue(35)
param backupRetentionDays int = 35

param geoRedundantBackup bool = false

@description('High availability (a standby server): ZoneRedundant needs the GeneralPurpose or MemoryOptimized tier.')
@allowed(['Disabled', 'SameZone', 'ZoneRedundant'])
param highAvailability string = 'Disabled'

@description('Object id of the Microsoft Entra administrator (a group of the operators is best).')
param administratorObjectId string

@description('Display name of that administrator, as Entra shows it.')
param administratorName string

@allowed(['Group', 'User', 'ServicePrincipal'])
param administratorType string = 'Group'

@description('Log Analytics workspace for the server\'s logs.')
param workspaceId string

param tags object

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: highAvailability
    }
  }

  resource requireTls 'configurations' = {
    name: 'require_secure_transport'
    properties: {
      value: 'on'
      source: 'user-override'
    }
  }

  resource minimumTls 'configurations' = {
    name: 'ssl_min_protocol_version'
    properties: {
      value: 'TLSv1.2'
      source: 'user-override'
    }
    dependsOn: [requireTls] // configuration changes on one server apply one at a time
  }

  resource database 'databases' = {
    name: databaseName
    properties: {
      charset: 'UTF8'
      collation: 'en_US.utf8'
    }
  }

  resource administrator 'administrators' = {
    name: administratorObjectId
    properties: {
      principalName: administratorName
      principalType: administratorType
      tenantId: tenant().tenantId
    }
    dependsOn: [minimumTls]
  }

  // Flex Consumption apps have no fixed outbound address: allow Azure's own addresses (not the internet). A private
  // endpoint in a virtual network is the stricter option (docs/deploy.md).
  resource azureServices 'firewallRules' = {
    name: 'AllowAzureServices'
    properties: {
      startIpAddress: '0.0.0.0'
      endIpAddress: '0.0.0.0'
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = server.name
output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = databaseName
