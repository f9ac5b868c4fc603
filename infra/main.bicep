// Deployment of FaceSwap.Orleans. Minimal until the deploy issue (13): the storage account every mode needs.
targetScope = 'resourceGroup'

@description('Location of all resources.')
param location string = resourceGroup().location

@description('Short name used to derive resource names.')
param environmentName string

var token = uniqueString(resourceGroup().id, environmentName)

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' = {
  name: 'fs${token}'
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
  }
}

output AZURE_STORAGE_BLOB_ENDPOINT string = storage.properties.primaryEndpoints.blob
