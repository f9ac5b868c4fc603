// The storage account: everything the platform keeps. Blob containers for photos (inbox, outbox) and job state
// (state), Orleans' membership and reminder tables, the blob-drop queue and its poison queue. Shared keys are off:
// only Entra ID (the managed identity, role assignments in roles.bicep) can reach the data.
@description('Name of the account (3-24 lower-case letters and digits, globally unique).')
param name string

@description('Location of the account.')
param location string

@description('Tags of the account.')
param tags object

@description('Blob containers to create.')
param containers string[]

@description('Queues to create.')
param queues string[]

@description('Tables to create.')
param tables string[]

resource account 'Microsoft.Storage/storageAccounts@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-08-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-08-01' = [
  for container in containers: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-08-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-08-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-08-01' = [
  for table in tables: {
    parent: tableService
    name: table
  }
]

@description('Name of the account.')
output name string = account.name

@description('Resource id of the account.')
output id string = account.id

@description('Blob service endpoint without the trailing slash: https://<account>.blob.core.windows.net.')
output blobEndpoint string = join(take(split(account.properties.primaryEndpoints.blob, '/'), 3), '/')
