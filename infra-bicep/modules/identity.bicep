// The hub's one identity: a user-assigned managed identity, so role assignments and Key Vault references
// exist before the app does (a system identity would only exist after the app, too late for references).
@description('Resource location.')
param location string

@description('Name of the identity.')
param name string

param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
