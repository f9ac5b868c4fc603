// Blob drops: an Event Grid system topic on the storage account and a subscription that delivers BlobCreated events
// for `faceswap.json` manifests in the inbox container to the drop queue (docs/blob-drop.md). Delivery and
// dead-lettering use the deployment's user-assigned identity (deliveryWithResourceIdentity): no keys, no SAS.
@description('Name of the system topic.')
param name string

@description('Location of the system topic (the storage account location).')
param location string

@description('Tags of the system topic.')
param tags object

@description('Name of the storage account whose events are delivered.')
param storageAccountName string

@description('Resource id of the user-assigned identity Event Grid delivers with.')
param identityId string

@description('Queue the events are delivered to.')
param queueName string

@description('Container the manifests are dropped into.')
param inboxContainer string

@description('File name of a manifest.')
param manifestName string

@description('Container undeliverable events are written to.')
param deadLetterContainer string

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource manifests 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'faceswap-manifests'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: identityId
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storage.id
          queueName: queueName
          // -1: messages never expire, so drops made while no api silo runs are still there when one starts.
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/'
      subjectEndsWith: '/${manifestName}'
      isSubjectCaseSensitive: true
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: identityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

@description('Name of the system topic.')
output name string = topic.name
