// The one user-assigned managed identity of the deployment: every silo signs in to storage and pulls images with it,
// and Event Grid delivers blob events to the drop queue with it (roles.bicep grants its five roles).
@description('Name of the identity.')
param name string

@description('Location of the identity.')
param location string

@description('Tags of the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id (for identity blocks and registry credentials).')
output id string = identity.id

@description('Client id (AZURE_CLIENT_ID of the silos, for DefaultAzureCredential).')
output clientId string = identity.properties.clientId

@description('Principal (object) id (for role assignments).')
output principalId string = identity.properties.principalId
