// One silo: a container app with exactly one replica (min = max = 1). Replicas of one app have no address of their
// own, so each silo is its own app and more capacity means another app (the Orleans Container Apps sample does the
// same). Orleans traffic reaches the silo at the environment's static IP on this app's own exposed silo port (target
// 11111). No silo runs an Orleans gateway: nothing outside the silos is an Orleans client (the REST API, blob drops and
// the CLI call grains in process), so there is no gateway port to expose.
//   api silo: HTTP ingress on 8080 (REST API, web page, /healthz), reachable from the environment's virtual network,
//             plus the silo port as an additionalPortMapping that is internal (external: false).
//   inference silo: internal TCP ingress on the silo port only.
// "Internal" is Container Apps' own rule: only the environment's apps (the other silos) reach the port, not the rest of
// the virtual network. ipSecurityRestrictions cannot narrow it further per port: they apply to the app's whole ingress,
// the API's HTTP port included, and Orleans silos reach each other through the environment's load balancer, so there is
// no stable source range of "the silos" to allow.
@description('Name of the container app.')
param name string

@description('Location of the container app.')
param location string

@description('Tags of the container app (azd-service-name on the one app azd deploys to).')
param tags object

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Workload profile the app runs on.')
param workloadProfileName string

@description('Resource id of the user-assigned identity (storage access and image pulls).')
param identityId string

@description('Login server of the container registry.')
param registryServer string

@description('Image to run.')
param image string

@description('True while the image is the first-provision placeholder: the health probes are left out, since the placeholder serves nothing on 8080.')
param isPlaceholder bool

@description('Environment variables of the container (name/value pairs).')
param env object[]

@description('True: HTTP ingress on 8080 plus the internal silo port (the api silo). False: internal TCP ingress on the silo port only.')
param httpIngress bool

@description('The silo port other silos reach this one at (unique in the environment).')
param exposedSiloPort int

@description('vCPUs of the container.')
param cpu string

@description('Memory of the container, e.g. 4Gi.')
param memory string

var listenSiloPort = 11111
var httpPort = 8080

// Silo-to-silo traffic only: internal to the environment.
var siloPortMapping = {
  external: false
  targetPort: listenSiloPort
  exposedPort: exposedSiloPort
}

var ingress = httpIngress
  ? {
      // external: the API is reachable from the environment's virtual network (the environment itself is internal).
      external: true
      transport: 'http'
      targetPort: httpPort
      allowInsecure: false
      additionalPortMappings: [
        siloPortMapping
      ]
    }
  : {
      // The inference silo serves nothing but its silo port: internal to the environment.
      external: false
      transport: 'tcp'
      targetPort: listenSiloPort
      exposedPort: exposedSiloPort
    }

// Every silo host serves /healthz on 8080 (only the api silo exposes 8080 through ingress).
var probes = [
  {
    type: 'Startup'
    httpGet: {
      path: '/healthz'
      port: httpPort
    }
    initialDelaySeconds: 2
    periodSeconds: 5
    failureThreshold: 60
    timeoutSeconds: 3
  }
  {
    type: 'Liveness'
    httpGet: {
      path: '/healthz'
      port: httpPort
    }
    periodSeconds: 15
    failureThreshold: 4
    timeoutSeconds: 5
  }
]

resource app 'Microsoft.App/containerApps@2025-07-01' = {
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
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: ingress
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      // Room for Orleans to leave the cluster gracefully (membership entry marked dead, grains deactivated).
      terminationGracePeriodSeconds: 60
      containers: [
        {
          name: 'silo'
          image: image
          env: env
          probes: isPlaceholder ? [] : probes
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

@description('Name of the container app.')
output name string = app.name

@description('FQDN of the app (inside the environment network).')
output fqdn string = app.properties.configuration.ingress.fqdn
