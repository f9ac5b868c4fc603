// FaceSwap.Orleans on Azure (`azd up`; docs/deploy.md). One resource group holds:
//   a storage account (photos, job state, Orleans membership and reminders, the blob-drop queues; shared keys off),
//   Event Grid (BlobCreated of inbox/**/faceswap.json -> the drop queue), Log Analytics, a container registry,
//   an internal, VNet-integrated Container Apps environment with a Consumption and a serverless GPU profile,
//   one user-assigned identity with five role assignments, one api silo app and `inferenceSiloCount` inference
//   silo apps (each exactly one replica, its own exposed silo port; no Orleans gateway).
// Every setting a silo gets is in the silo host's configuration schema (docs/deploy.md): service URIs and the
// identity's client id, never a key or a connection string.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: seeds resource names and tags every resource with azd-env-name.')
param environmentName string

@description('Location of all resources. Serverless GPUs are offered in a few regions only (docs/deploy.md).')
param location string = resourceGroup().location

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
@description('Serverless GPU workload profile of the inference silos: NVIDIA T4 (8 vCPU, 56 GiB) or A100 (24 vCPU, 220 GiB).')
param gpuProfile string = 'Consumption-GPU-NC8as-T4'

@minValue(1)
@maxValue(20)
@description('Number of inference silos: one container app with one GPU replica each.')
param inferenceSiloCount int = 1

@minValue(0)
@description('Engine pipelines per inference silo (FaceSwap__Concurrency); 0 = one per vCPU.')
param inferenceConcurrency int = 0

@description('Image of the api silo: azd sets SERVICE_API_IMAGE_NAME after its first deploy; empty = placeholder.')
param apiImage string = ''

@description('Image of the inference silos: azd sets SERVICE_INFERENCE_IMAGE_NAME after its first deploy; empty = placeholder.')
param inferenceImage string = ''

@description('Name of the one API key configured here (Api__Keys__0__Name).')
param apiKeyName string = 'admin'

@allowed([
  'read'
  'submit'
  'admin'
])
@description('Role of that API key (Api__Keys__0__Role).')
param apiKeyRole string = 'admin'

@description('SHA-256 (64 lower-case hex digits) of that API key: `faceswap keys hash KEY`. Empty: no key configured here.')
param apiKeySha256 string = ''

@description('Entra ID authority for bearer tokens (Api__Jwt__Authority), e.g. https://login.microsoftonline.com/<tenant>/v2.0. Empty: API keys only.')
param jwtAuthority string = ''

@description('Entra ID audience (Api__Jwt__Audience): the API app registration\'s application id URI or client id.')
param jwtAudience string = ''

// Shown while azd has not pushed an image yet (the first provision): a small public image from Microsoft.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'

var token = uniqueString(resourceGroup().id, environmentName)
var tags = {
  'azd-env-name': environmentName
}

var inboxContainer = 'inbox'
var outboxContainer = 'outbox'
var stateContainer = 'state'
var deadLetterContainer = 'eventgrid-deadletter'
var dropQueue = 'faceswap-drops'
var dropPoisonQueue = 'faceswap-drops-poison'
var manifestName = 'faceswap.json'
var gpuProfileName = 'gpu'

// Orleans' default table names (membership, reminders); the silos create them too if missing.
var membershipTable = 'OrleansSiloInstances'
var remindersTable = 'OrleansReminders'

// The silo port the processes listen on, and the exposed silo ports (unique per app in the environment) they
// advertise: the api silo 11111, inference silo i 11112+i. No silo runs an Orleans gateway (FaceSwap__Host__Gateway
// false): nothing outside the silos is an Orleans client, so no gateway port exists to reach.
var listenSiloPort = 11111
var apiSiloPort = 11111
var inferenceSiloPortBase = 11112

var clusterId = 'faceswap'
var serviceId = 'faceswap'

// A serverless GPU replica gets the whole profile: one GPU with its vCPUs and memory.
var gpuResources = gpuProfile == 'Consumption-GPU-NC24-A100'
  ? {
      cpu: '24.0'
      memory: '220Gi'
    }
  : {
      cpu: '8.0'
      memory: '56Gi'
    }

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-faceswap-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    name: 'log-faceswap-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'fs${token}'
    location: location
    tags: tags
    containers: [
      inboxContainer
      outboxContainer
      stateContainer
      deadLetterContainer
    ]
    queues: [
      dropQueue
      dropPoisonQueue
    ]
    tables: [
      membershipTable
      remindersTable
    ]
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: 'crfaceswap${token}'
    location: location
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    registryName: registry.outputs.name
  }
}

module events 'modules/events.bicep' = {
  name: 'events'
  params: {
    name: 'evgt-faceswap-${token}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    identityId: identity.outputs.id
    queueName: dropQueue
    inboxContainer: inboxContainer
    manifestName: manifestName
    deadLetterContainer: deadLetterContainer
  }
  // Event Grid may only deliver once its identity holds Queue Data Message Sender (and Blob Data Contributor for
  // dead letters).
  dependsOn: [
    roles
  ]
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    name: 'vnet-faceswap-${token}'
    location: location
    tags: tags
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  params: {
    name: 'cae-faceswap-${token}'
    location: location
    tags: tags
    subnetId: network.outputs.subnetId
    vnetId: network.outputs.vnetId
    logAnalyticsWorkspaceId: monitoring.outputs.id
    gpuProfile: gpuProfile
    gpuProfileName: gpuProfileName
  }
}

// Settings every silo shares (the silo host's schema, docs/deploy.md).
var sharedEnv = [
  {
    name: 'FaceSwap__Storage'
    value: storage.outputs.blobEndpoint
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.outputs.clientId
  }
  {
    name: 'FaceSwap__Host__Clustering'
    value: 'azure-table'
  }
  {
    name: 'FaceSwap__Host__ClusterId'
    value: clusterId
  }
  {
    name: 'FaceSwap__Host__ServiceId'
    value: serviceId
  }
  {
    name: 'FaceSwap__Host__AdvertisedAddress'
    value: environment.outputs.staticIp
  }
  {
    name: 'FaceSwap__Host__ListenSiloPort'
    value: string(listenSiloPort)
  }
  {
    name: 'FaceSwap__Host__Gateway'
    value: 'false'
  }
  {
    name: 'FaceSwap__ModelsPath'
    value: '/app/models'
  }
  {
    name: 'ASPNETCORE_URLS'
    value: 'http://+:8080'
  }
]

var apiKeyEnv = empty(apiKeySha256)
  ? []
  : [
      {
        name: 'Api__Keys__0__Name'
        value: apiKeyName
      }
      {
        name: 'Api__Keys__0__Role'
        value: apiKeyRole
      }
      {
        name: 'Api__Keys__0__Sha256'
        value: toLower(apiKeySha256)
      }
    ]

var jwtEnv = empty(jwtAuthority)
  ? []
  : [
      {
        name: 'Api__Jwt__Authority'
        value: jwtAuthority
      }
      {
        name: 'Api__Jwt__Audience'
        value: jwtAudience
      }
    ]

var apiEnv = concat(
  sharedEnv,
  [
    {
      name: 'FaceSwap__Role'
      value: 'api'
    }
    {
      name: 'FaceSwap__Host__SiloPort'
      value: string(apiSiloPort)
    }
    {
      name: 'FaceSwap__Drop__Queue'
      value: dropQueue
    }
    {
      name: 'FaceSwap__Drop__WatchSeconds'
      value: '0'
    }
    {
      // Behind the environment's ingress every caller arrives from the proxy: the failed-key throttle must count the
      // client address it forwards, or one guesser would throttle every caller.
      name: 'Api__BehindProxy'
      value: 'true'
    }
  ],
  apiKeyEnv,
  jwtEnv
)

var inferenceConcurrencyEnv = inferenceConcurrency > 0
  ? [
      {
        name: 'FaceSwap__Concurrency'
        value: string(inferenceConcurrency)
      }
    ]
  : []

module apiSilo 'modules/silo-app.bicep' = {
  name: 'api-silo'
  params: {
    name: 'ca-api-${token}'
    location: location
    tags: union(tags, {
      'azd-service-name': 'api'
    })
    environmentId: environment.outputs.id
    workloadProfileName: 'Consumption'
    identityId: identity.outputs.id
    registryServer: registry.outputs.loginServer
    image: empty(apiImage) ? placeholderImage : apiImage
    isPlaceholder: empty(apiImage)
    env: apiEnv
    httpIngress: true
    exposedSiloPort: apiSiloPort
    cpu: '2.0'
    memory: '4Gi'
  }
  // The image pull needs AcrPull; the silo needs its storage roles before it joins the cluster.
  dependsOn: [
    roles
  ]
}

// Inference silos 0..inferenceSiloCount-1. azd deploys to the app tagged azd-service-name (it must be exactly one):
// silo 0. The others run the same image through `inferenceImage` (SERVICE_INFERENCE_IMAGE_NAME), which the `up`
// workflow in azure.yaml applies with a second provision after the deploy.
module inferenceSilos 'modules/silo-app.bicep' = [
  for i in range(0, inferenceSiloCount): {
    name: 'inference-silo-${i}'
    params: {
      name: 'ca-inference-${i}-${token}'
      location: location
      tags: union(tags, i == 0 ? { 'azd-service-name': 'inference' } : { 'faceswap-silo': 'inference-${i}' })
      environmentId: environment.outputs.id
      workloadProfileName: gpuProfileName
      identityId: identity.outputs.id
      registryServer: registry.outputs.loginServer
      image: empty(inferenceImage) ? placeholderImage : inferenceImage
      isPlaceholder: empty(inferenceImage)
      env: concat(
        sharedEnv,
        [
          {
            name: 'FaceSwap__Role'
            value: 'inference'
          }
          {
            name: 'FaceSwap__Host__SiloPort'
            value: string(inferenceSiloPortBase + i)
          }
          {
            // The GPU: a silo where CUDA does not load stays not ready (/readyz 503) instead of running on its CPU.
            name: 'FaceSwap__ExecutionProvider'
            value: 'cuda'
          }
        ],
        inferenceConcurrencyEnv
      )
      httpIngress: false
      exposedSiloPort: inferenceSiloPortBase + i
      cpu: gpuResources.cpu
      memory: gpuResources.memory
    }
    dependsOn: [
      roles
    ]
  }
]

@description('URL of the REST API and web page; reachable from the environment\'s virtual network (the environment is internal).')
output API_URL string = 'https://${apiSilo.outputs.fqdn}'

@description('Name of the api silo app.')
output API_APP_NAME string = apiSilo.outputs.name

@description('Names of the inference silo apps.')
output INFERENCE_APP_NAMES string[] = [for i in range(0, inferenceSiloCount): inferenceSilos[i].outputs.name]

@description('The environment static IP every silo advertises.')
output AZURE_CONTAINER_APPS_STATIC_IP string = environment.outputs.staticIp

@description('Storage account name.')
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name

@description('Blob service endpoint (FaceSwap__Storage of every silo).')
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint

@description('Container photos and faceswap.json manifests are dropped into.')
output AZURE_STORAGE_INBOX_CONTAINER string = inboxContainer

@description('Container outputs go to by default.')
output AZURE_STORAGE_OUTBOX_CONTAINER string = outboxContainer

@description('Container of job state.')
output AZURE_STORAGE_STATE_CONTAINER string = stateContainer

@description('Queue Event Grid delivers blob drops to.')
output FACESWAP_DROP_QUEUE string = dropQueue

@description('Client id of the user-assigned identity (AZURE_CLIENT_ID of the silos).')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Registry login server azd pushes images to.')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer

@description('Registry name.')
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
