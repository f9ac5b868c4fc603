// The five role assignments of the deployment, all for the one user-assigned identity (identity.bicep):
//   on the storage account: Storage Blob Data Contributor, Storage Queue Data Contributor and Storage Table Data
//   Contributor (the silos: photos and grain state, the drop queues, Orleans membership and reminders), and Storage
//   Queue Data Message Sender (Event Grid's delivery identity: it delivers BlobCreated events to the drop queue);
//   on the registry: AcrPull (the container apps pull their images).
// Role definition ids are Azure's built-in ones (docs/deploy.md); tests/FaceSwap.Deploy.Tests checks this list.
@description('Principal (object) id of the user-assigned identity.')
param principalId string

@description('Name of the storage account (scope of the four storage roles).')
param storageAccountName string

@description('Name of the container registry (scope of AcrPull).')
param registryName string

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' existing = {
  name: storageAccountName
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' existing = {
  name: registryName
}

// Storage Blob Data Contributor: read inputs, write outputs and grain state; Event Grid writes dead letters with it.
resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Contributor: the api silos receive, delete and poison drop messages.
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: Orleans membership (OrleansSiloInstances) and reminders (OrleansReminders).
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Message Sender: what Event Grid's deliveryWithResourceIdentity needs on the destination queue.
// The silos' Queue Data Contributor would cover it, but it is granted on its own so that the Event Grid path keeps
// working if the silos ever get a separate identity.
resource queueDataMessageSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// AcrPull: the container apps pull the images azd pushed.
resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, '7f951dda-4ed3-4680-a7ca-43fe172d538d')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
